import { age } from '../../../shared/src/age';
import { estimateLine } from '../../../shared/src/estimateText';
import {
  BUNDLE_FORMATS,
  DEFAULT_STAGE_GATES,
  STAGE_NAME,
  type AuditRecord,
  type BundleFormat,
  type BundleResult,
  type GateCheckResult,
  type GateResult,
  type StageInfo,
  type StagePointer,
} from '../../../shared/src/release';

/**
 * Text shown for release management: the Models view's rows and hovers, the questions of
 * Promote…, Demote and Export Deployment Bundle…, and what they say when done. Pure: unit
 * tested without vscode.
 */

/** How many moves a stage's hover lists (newest first); the CLI's `mlsnap stages` has them all. */
export const AUDIT_SHOWN = 10;

/** Version ids (`v` + 16 hex digits) → their number in this project, for the versions it has. */
export type LocalSeqs = ReadonlyMap<string, number>;

/** `@3` when this project has the version, else its id (a teammate's version not pulled yet). */
export function versionText(versionId: string, seqs: LocalSeqs): string {
  const seq = seqs.get(versionId);
  return seq === undefined ? versionId : `@${seq}`;
}

/** What a stage holds, as its row shows it: `@3`, a version id, or `empty` after a demotion. */
export function stageVersion(info: StageInfo): string {
  const target = info.pointer.target;
  if (!target) return 'empty';
  return info.local ? `@${info.local.seq}` : target.versionId;
}

/** A stage's row: "@3 · bob · 2m ago" (who moved it there, when), or "empty · demoted by bob · 2m ago". */
export function stageDescription(info: StageInfo, now = Date.now()): string {
  const p = info.pointer;
  const when = age(p.movedAt, now, 'compact');
  return p.target ? `${stageVersion(info)} · ${p.movedBy} · ${when}` : `empty · demoted by ${p.movedBy} · ${when}`;
}

/** A model's row: "2 stages: production @3, staging @4". */
export function modelDescription(stages: readonly StageInfo[]): string {
  const list = stages.map((s) => `${s.stage} ${stageVersion(s)}`).join(', ');
  return `${stages.length} stage${stages.length === 1 ? '' : 's'}: ${list}`;
}

/** Stages grouped by model path, models and their stages in name order. */
export function stagesByModel(stages: readonly StageInfo[]): { model: string; stages: StageInfo[] }[] {
  const byModel = new Map<string, StageInfo[]>();
  for (const s of stages) byModel.set(s.model, [...(byModel.get(s.model) ?? []), s]);
  return [...byModel]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([model, list]) => ({ model, stages: [...list].sort((a, b) => a.stage.localeCompare(b.stage)) }));
}

/**
 * A stage's hover (Markdown): what it holds and who put it there, the version's serving
 * estimate, and its last moves, newest first. `history` is the daemon's, oldest first.
 */
export function stageMarkdown(
  info: StageInfo,
  history: readonly AuditRecord[],
  seqs: LocalSeqs,
  now = Date.now(),
): string {
  const lines = [...holdingLines(info, now), ...estimateLines(info.pointer), '', ...auditLines(history, seqs, now)];
  return lines.join('\n');
}

/** A hover that could not read the audit trail says why, below what the row already knows. */
export function stageMarkdownWithoutHistory(info: StageInfo, problem: string, now = Date.now()): string {
  return [
    ...holdingLines(info, now),
    ...estimateLines(info.pointer),
    '',
    `_Audit trail unavailable: ${md(problem)}_`,
  ].join('\n');
}

function holdingLines(info: StageInfo, now: number): string[] {
  const p = info.pointer;
  const moved = `${p.target ? 'Promoted' : 'Demoted'} by **${md(p.movedBy)}** on ${md(p.host)}, ${age(p.movedAt, now)}`;
  const lines = [`**${md(info.stage)}** of \`${info.model}\``, ''];
  if (p.target) {
    const t = p.target;
    const by = t.author ? ` by ${md(t.author)}` : '';
    lines.push(
      `Holds **${stageVersion(info)}** (\`${t.versionId}\`, ${t.modelFormat}), recorded${by} ${age(t.createdAt, now)}`,
    );
    if (!info.local) lines.push('', '_Not in this project yet: pull to get it._');
  } else {
    lines.push('Holds nothing: it was demoted.');
  }
  lines.push('', `${moved}${p.reason ? `: “${md(p.reason)}”` : ''}`);
  return lines;
}

function estimateLines(p: StagePointer): string[] {
  const e = p.target?.estimate;
  return e ? ['', `Serving estimate: ${md(estimateLine(e))}`] : [];
}

function auditLines(history: readonly AuditRecord[], seqs: LocalSeqs, now: number): string[] {
  if (history.length === 0) return ['_No moves recorded._'];
  const newest = [...history].sort((a, b) => b.at - a.at);
  const shown = newest.slice(0, AUDIT_SHOWN);
  const lines = [
    `**Moves** (newest first${newest.length > shown.length ? `, ${shown.length} of ${newest.length}` : ''}):`,
    '',
  ];
  for (const r of shown) lines.push(`- ${auditLine(r, seqs, now)}`);
  return lines;
}

const ACTION_WORDS: Readonly<Record<AuditRecord['action'], string>> = { promote: 'promoted', demote: 'demoted' };

/** One move: "2m ago · **bob** promoted @2 → @3: “reason” · forced past failed gates: pickle". */
export function auditLine(r: AuditRecord, seqs: LocalSeqs, now = Date.now()): string {
  const from = r.from === null ? 'empty' : versionText(r.from, seqs);
  const to = r.to === null ? 'empty' : versionText(r.to, seqs);
  const failed = r.gates.filter((g) => !g.passed).map((g) => g.gate);
  const parts = [
    `${age(r.at, now)} · **${md(r.author)}** ${ACTION_WORDS[r.action]} ${from} → ${to}${r.reason ? `: “${md(r.reason)}”` : ''}`,
  ];
  if (r.forced) parts.push(`**forced** past failed gates${failed.length > 0 ? `: ${failed.join(', ')}` : ''}`);
  else if (failed.length > 0) parts.push(`failed gates: ${failed.join(', ')}`);
  return parts.join(' · ');
}

/** One gate's result, as the promotion's dialog lists it: "✓ secrets: no secrets found". */
export function gateLine(g: GateResult): string {
  return `${g.passed ? '✓' : '✗'} ${g.gate}: ${g.message}`;
}

/** The question before a promotion and the detail of its modal dialog. */
export interface PromotionQuestion {
  message: string;
  detail: string;
  /** Every gate passed: "Promote"; else "Promote Anyway…" (which asks why). */
  passed: boolean;
}

export function promotionQuestion(
  ref: string,
  remote: string,
  check: GateCheckResult,
  seqs: LocalSeqs,
  serving: string | null,
): PromotionQuestion {
  const failed = check.gates.filter((g) => !g.passed).length;
  const message = check.passed
    ? `Promote ${ref} to ${check.stage} on ${remote}?`
    : `${failed} of ${check.gates.length} gate${check.gates.length === 1 ? '' : 's'} of ${check.stage} failed for ${ref}. Promote anyway?`;
  const gates = check.gates.length > 0 ? check.gates.map(gateLine) : [`${check.stage} has no gates.`];
  const now = check.current?.target
    ? `${check.stage} now holds ${versionText(check.current.target.versionId, seqs)} (moved by ${check.current.movedBy}).`
    : `${check.stage} holds nothing yet.`;
  const detail = [...gates, '', now, ...(serving ? [`Serving estimate: ${serving}`] : [])];
  if (!check.passed) detail.push('', 'Promoting anyway records your reason and the failed gates in the audit trail.');
  return { message, detail: detail.join('\n'), passed: check.passed };
}

/** What a successful promotion says. */
export function promotedMessage(model: string, seq: number, stage: string, remote: string, forced: boolean): string {
  return `${model}@${seq} is now ${stage} on ${remote}${forced ? ' (forced past failed gates)' : ''}`;
}

/** The modal before a demotion. */
export function demoteQuestion(info: StageInfo, remote: string): { message: string; detail: string } {
  return {
    message: `Demote ${info.stage} of ${info.model} on ${remote}?`,
    detail: `It holds ${stageVersion(info)}. Afterwards the stage holds nothing; deployments that follow it stop or keep what they have. The move is recorded in the audit trail.`,
  };
}

export function demotedMessage(model: string, stage: string, remote: string): string {
  return `${stage} of ${model} on ${remote} now holds nothing`;
}

/** A stage name typed into "Other…": null when it is one. */
export function stageNameProblem(s: string): string | null {
  return STAGE_NAME.test(s.trim()) ? null : 'lower-case letters, digits, ".", "_" or "-", at most 64 (like canary-2)';
}

export interface StagePickItem {
  label: string;
  description?: string;
  /** The stage picked; null for "Other…" (asks for a name). */
  stage: string | null;
}

export const OTHER_STAGE = 'Other…';
const PROPOSED_STAGES = ['staging', 'production'];

/**
 * The stages offered for a model: those on the remote (what this model has there first),
 * then `staging` and `production` when missing, then "Other…".
 */
export function stagePickItems(existing: readonly StageInfo[], model: string): StagePickItem[] {
  const ofModel = new Map(existing.filter((s) => s.model === model).map((s) => [s.stage, s]));
  const names = [...new Set(existing.map((s) => s.stage))].sort(
    (a, b) => Number(ofModel.has(b)) - Number(ofModel.has(a)) || a.localeCompare(b),
  );
  const items: StagePickItem[] = names.map((stage) => {
    const mine = ofModel.get(stage);
    return { label: stage, description: mine ? `holds ${stageVersion(mine)}` : 'used by other models', stage };
  });
  for (const stage of PROPOSED_STAGES)
    if (!names.includes(stage)) items.push({ label: stage, description: defaultGatesText(stage), stage });
  items.push({ label: OTHER_STAGE, description: 'a new stage name', stage: null });
  return items;
}

function defaultGatesText(stage: string): string {
  const gates = DEFAULT_STAGE_GATES[stage]?.gates;
  return gates ? `gates unless configured: ${gates.join(', ')}` : 'no gates unless configured';
}

export interface BundleFormatPickItem {
  label: string;
  description: string;
  format: BundleFormat;
}

const BUNDLE_WORDS: Readonly<Record<BundleFormat, { label: string; description: string; manifest: string }>> = {
  kserve: {
    label: 'KServe',
    description: 'an InferenceService (inferenceservice.yaml), the model and a Dockerfile',
    manifest: 'inferenceservice.yaml',
  },
  k8s: {
    label: 'Kubernetes',
    description: 'a Deployment and a Service (deployment.yaml), the model and a Dockerfile',
    manifest: 'deployment.yaml',
  },
  docker: {
    label: 'Docker',
    description: 'a Compose file (compose.yaml), the model and a Dockerfile',
    manifest: 'compose.yaml',
  },
};

export function bundleFormatPickItems(): BundleFormatPickItem[] {
  return BUNDLE_FORMATS.map((format) => ({
    label: BUNDLE_WORDS[format].label,
    description: BUNDLE_WORDS[format].description,
    format,
  }));
}

/** What a written bundle says: "wrote the KServe bundle of m.pt@3 to /deploy (4 files)". */
export function bundleMessage(ref: string, r: BundleResult): string {
  const n = r.files.length;
  return `wrote the ${BUNDLE_WORDS[r.format].label} bundle of ${ref} to ${r.dir} (${n} file${n === 1 ? '' : 's'})`;
}

/** The file of a bundle to reveal: its serving config when written, else the first file. */
export function mainBundleFile(r: BundleResult): string | undefined {
  const manifest = BUNDLE_WORDS[r.format].manifest;
  return r.files.includes(manifest) ? manifest : r.files[0];
}

/**
 * The question when the daemon refused to write a bundle over files that exist
 * ("/d/inferenceservice.yaml exists; pass --force …"), or null when overwriting would not
 * help (a folder or a link in the way): then its own sentence is shown.
 */
export function bundleOverwriteQuestion(refusal: string): string | null {
  const m = /^(.*) exists(?:;|$)/.exec(refusal);
  return m ? `${m[1]} exists, from an earlier bundle. Overwrite the bundle's files?` : null;
}

/** Markdown-escape text from elsewhere (a reason, a user name) for a hover. */
function md(s: string): string {
  // One line: a reason typed with newlines must not break the hover's list.
  return s.replace(/\s+/g, ' ').replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
