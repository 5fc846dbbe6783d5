import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  AuditRecord,
  BundleResult,
  GateCheckResult,
  ResourceEstimate,
  StageInfo,
  StagePointer,
  StageTarget,
} from '../../../shared/src/release';
import { estimateLine } from '../../../shared/src/estimateText';
import {
  AUDIT_SHOWN,
  auditLine,
  bundleFormatPickItems,
  bundleMessage,
  bundleOverwriteQuestion,
  demoteQuestion,
  gateLine,
  mainBundleFile,
  modelDescription,
  OTHER_STAGE,
  promotedMessage,
  promotionQuestion,
  stageDescription,
  stageMarkdown,
  stageMarkdownWithoutHistory,
  stageNameProblem,
  stagePickItems,
  stagesByModel,
  stageVersion,
  versionText,
} from './release';

const NOW = 1_700_000_000_000;
const MIN = 60_000;
const V1 = 'v0000000000000001';
const V2 = 'v0000000000000002';
const V3 = 'v0000000000000003';
const seqs = new Map([
  [V1, 1],
  [V2, 2],
]);

const estimate: ResourceEstimate = {
  format: 'safetensors',
  parameters: 1_200_000,
  weightBytes: 4_800_000,
  bytesByDtype: { F32: 4_800_000 },
  servingBytes: 260 * 1024 * 1024,
  gpuBytes: 520 * 1024 * 1024,
  basis: 'weights + 256 MiB runtime',
};

function target(p: Partial<StageTarget> = {}): StageTarget {
  return {
    versionId: V2,
    object: { key: 'data/ab/cd', url: 'file:///team/data/ab/cd', size: 16, sha256: 'aa', blake3: 'bb' },
    modelFormat: 'safetensors',
    createdAt: NOW - 60 * MIN,
    author: 'alice',
    environment: null,
    run: null,
    estimate: null,
    ...p,
  };
}

function stage(
  p: { model?: string; stage?: string; target?: StageTarget | null; seq?: number | null } & Partial<StagePointer> = {},
): StageInfo {
  const { seq = 2, ...rest } = p;
  const pointer: StagePointer = {
    format: 'mlsnap-stage',
    version: 1,
    model: 'models/m.safetensors',
    stage: 'staging',
    target: target(),
    movedBy: 'bob',
    host: 'build-1',
    movedAt: NOW - 2 * MIN,
    reason: null,
    audit: 'audit/x.json',
    ...rest,
  };
  return {
    model: pointer.model,
    stage: pointer.stage,
    pointer,
    etag: '"1"',
    local: seq === null || pointer.target === null ? null : { seq },
  };
}

function audit(p: Partial<AuditRecord> = {}): AuditRecord {
  return {
    format: 'mlsnap-audit',
    version: 1,
    model: 'models/m.safetensors',
    stage: 'staging',
    action: 'promote',
    from: V1,
    to: V2,
    author: 'bob',
    host: 'build-1',
    at: NOW - 2 * MIN,
    reason: null,
    gates: [],
    forced: false,
    previous: null,
    ...p,
  };
}

function check(p: Partial<GateCheckResult> = {}): GateCheckResult {
  return {
    model: 'models/m.safetensors',
    stage: 'staging',
    versionId: V2,
    gates: [],
    current: null,
    passed: true,
    ...p,
  };
}

test('versionText: the local number when this project has the version, else its id', () => {
  assert.equal(versionText(V1, seqs), '@1');
  assert.equal(versionText(V3, seqs), V3);
});

test('stageVersion and stageDescription: the version held, who moved it, how long ago', () => {
  assert.equal(stageVersion(stage()), '@2');
  assert.equal(stageVersion(stage({ seq: null })), V2);
  assert.equal(stageDescription(stage(), NOW), '@2 · bob · 2m ago');
  const demoted = stage({ target: null });
  assert.equal(stageVersion(demoted), 'empty');
  assert.equal(stageDescription(demoted, NOW), 'empty · demoted by bob · 2m ago');
});

test('stagesByModel groups by model path and sorts models and stages by name', () => {
  const groups = stagesByModel([
    stage({ model: 'models/b.pt', stage: 'staging' }),
    stage({ model: 'models/a.pt', stage: 'staging' }),
    stage({ model: 'models/b.pt', stage: 'production' }),
  ]);
  assert.deepEqual(
    groups.map((g) => [g.model, g.stages.map((s) => s.stage)]),
    [
      ['models/a.pt', ['staging']],
      ['models/b.pt', ['production', 'staging']],
    ],
  );
  assert.equal(modelDescription(groups[1]?.stages ?? []), '2 stages: production @2, staging @2');
});

test('auditLine says who moved what from where to where, why, and what was forced', () => {
  assert.equal(auditLine(audit(), seqs, NOW), '2 min ago · **bob** promoted @1 → @2');
  assert.equal(
    auditLine(audit({ from: null, to: V3, reason: 'hot-fix (urgent)' }), seqs, NOW),
    `2 min ago · **bob** promoted empty → ${V3}: “hot\\-fix \\(urgent\\)”`,
  );
  assert.equal(
    auditLine(audit({ action: 'demote', from: V2, to: null }), seqs, NOW),
    '2 min ago · **bob** demoted @2 → empty',
  );
  const failed = [
    { gate: 'pickle' as const, passed: false, message: 'os.system' },
    { gate: 'secrets' as const, passed: true, message: 'none' },
  ];
  assert.equal(
    auditLine(audit({ gates: failed, forced: true, reason: 'known' }), seqs, NOW),
    '2 min ago · **bob** promoted @1 → @2: “known” · **forced** past failed gates: pickle',
  );
});

test('stageMarkdown: what it holds, the estimate, and the last moves newest first, capped', () => {
  const info = stage({ target: target({ estimate }), reason: 'passed QA' });
  const history = Array.from({ length: AUDIT_SHOWN + 2 }, (_, i) =>
    audit({ at: NOW - (20 - i) * MIN, author: `user${i}` }),
  );
  const text = stageMarkdown(info, history, seqs, NOW);
  assert.match(text, /^\*\*staging\*\* of `models\/m\.safetensors`/);
  assert.match(text, /Holds \*\*@2\*\* \(`v0000000000000002`, safetensors\), recorded by alice 1 h ago/);
  assert.match(text, /Promoted by \*\*bob\*\* on build\\-1, 2 min ago: “passed QA”/);
  assert.ok(text.includes(estimateLine(estimate).replace(/[.()\-+]/g, (c) => `\\${c}`)), text);
  assert.match(text, /\*\*Moves\*\* \(newest first, 10 of 12\)/);
  const listed = text.split('\n').filter((l) => l.startsWith('- '));
  assert.equal(listed.length, AUDIT_SHOWN);
  assert.match(listed[0] ?? '', /\*\*user11\*\*/);
  assert.match(listed.at(-1) ?? '', /\*\*user2\*\*/);
});

test('stageMarkdown: a version not pulled yet, no moves; and a hover without its audit trail', () => {
  const text = stageMarkdown(stage({ seq: null }), [], seqs, NOW);
  assert.match(text, /Not in this project yet: pull to get it\./);
  assert.match(text, /_No moves recorded\._/);
  assert.doesNotMatch(text, /Serving estimate/);
  const without = stageMarkdownWithoutHistory(stage({ target: null }), 'remote unreachable', NOW);
  assert.match(without, /Holds nothing: it was demoted\./);
  assert.match(without, /_Audit trail unavailable: remote unreachable_/);
});

test('gateLine marks each gate passed or failed', () => {
  assert.equal(gateLine({ gate: 'secrets', passed: true, message: 'no secrets found' }), '✓ secrets: no secrets found');
  assert.equal(
    gateLine({ gate: 'pickle', passed: false, message: '1 global runs code' }),
    '✗ pickle: 1 global runs code',
  );
});

test('promotionQuestion: all passed asks to promote; failures say how many and that a reason is recorded', () => {
  const ok = promotionQuestion('models/m.safetensors@2', 'team', check(), seqs, null);
  assert.equal(ok.passed, true);
  assert.equal(ok.message, 'Promote models/m.safetensors@2 to staging on team?');
  assert.equal(ok.detail, 'staging has no gates.\n\nstaging holds nothing yet.');

  const current = stage({ target: target({ versionId: V1 }) }).pointer;
  const gates = [
    { gate: 'environment' as const, passed: true, message: 'complete' },
    { gate: 'pickle' as const, passed: false, message: 'os.system on load' },
  ];
  const bad = promotionQuestion(
    'models/m.safetensors@2',
    'team',
    check({ stage: 'production', gates, passed: false, current }),
    seqs,
    '1.2M parameters',
  );
  assert.equal(bad.passed, false);
  assert.equal(bad.message, '1 of 2 gates of production failed for models/m.safetensors@2. Promote anyway?');
  assert.deepEqual(bad.detail.split('\n'), [
    '✓ environment: complete',
    '✗ pickle: os.system on load',
    '',
    'production now holds @1 (moved by bob).',
    'Serving estimate: 1.2M parameters',
    '',
    'Promoting anyway records your reason and the failed gates in the audit trail.',
  ]);
});

test('promotedMessage, demoteQuestion and demotedMessage', () => {
  assert.equal(promotedMessage('models/m.pt', 3, 'staging', 'team', false), 'models/m.pt@3 is now staging on team');
  assert.equal(
    promotedMessage('models/m.pt', 3, 'production', 'team', true),
    'models/m.pt@3 is now production on team (forced past failed gates)',
  );
  const q = demoteQuestion(stage(), 'team');
  assert.equal(q.message, 'Demote staging of models/m.safetensors on team?');
  assert.match(q.detail, /^It holds @2\. Afterwards the stage holds nothing/);
});

test('stageNameProblem accepts stage names and refuses others', () => {
  assert.equal(stageNameProblem('canary-2'), null);
  assert.equal(stageNameProblem(' production '), null);
  assert.notEqual(stageNameProblem('Production'), null);
  assert.notEqual(stageNameProblem(''), null);
  assert.notEqual(stageNameProblem('a/b'), null);
  assert.notEqual(stageNameProblem('x'.repeat(65)), null);
});

test("stagePickItems: this model's stages first, others', then staging and production when missing, then Other…", () => {
  const existing = [
    stage({ model: 'models/other.pt', stage: 'canary' }),
    stage({ model: 'models/m.safetensors', stage: 'staging' }),
  ];
  const items = stagePickItems(existing, 'models/m.safetensors');
  assert.deepEqual(
    items.map((i) => [i.label, i.stage, i.description]),
    [
      ['staging', 'staging', 'holds @2'],
      ['canary', 'canary', 'used by other models'],
      ['production', 'production', 'gates unless configured: environment, pickle, secrets, metric'],
      [OTHER_STAGE, null, 'a new stage name'],
    ],
  );
  assert.deepEqual(
    stagePickItems([], 'models/m.pt').map((i) => i.label),
    ['staging', 'production', OTHER_STAGE],
  );
  assert.equal(stagePickItems([], 'models/m.pt')[0]?.description, 'no gates unless configured');
});

test('bundle formats, the message and the file to reveal', () => {
  assert.deepEqual(
    bundleFormatPickItems().map((i) => [i.format, i.label]),
    [
      ['kserve', 'KServe'],
      ['k8s', 'Kubernetes'],
      ['docker', 'Docker'],
    ],
  );
  const r: BundleResult = {
    dir: '/deploy',
    format: 'kserve',
    files: ['model/m.safetensors', 'Dockerfile', 'inferenceservice.yaml'],
    estimate: null,
    unsatisfiable: [],
  };
  assert.equal(
    bundleMessage('models/m.safetensors@2', r),
    'wrote the KServe bundle of models/m.safetensors@2 to /deploy (3 files)',
  );
  assert.equal(mainBundleFile(r), 'inferenceservice.yaml');
  assert.equal(mainBundleFile({ ...r, format: 'docker', files: ['environment.yml', 'compose.yaml'] }), 'compose.yaml');
  assert.equal(mainBundleFile({ ...r, format: 'k8s', files: ['model/m.pt', 'Dockerfile'] }), 'model/m.pt');
  assert.equal(mainBundleFile({ ...r, files: [] }), undefined);
});

test('bundleOverwriteQuestion: files in the way can be overwritten; a folder or a link cannot', () => {
  assert.equal(
    bundleOverwriteQuestion('/d/inferenceservice.yaml exists; pass --force to overwrite it, or pick another --to'),
    "/d/inferenceservice.yaml exists, from an earlier bundle. Overwrite the bundle's files?",
  );
  assert.equal(bundleOverwriteQuestion('/d/model is a folder; pick another --to'), null);
  assert.equal(bundleOverwriteQuestion('/d/x is a symbolic link; mlsnap does not write through links'), null);
});
