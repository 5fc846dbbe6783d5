import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EnvironmentInfo, VersionInfo } from '../../../shared/src/domain';
import {
  environmentRows,
  environmentSummary,
  packageChanges,
  recordedBy,
  versionDescription,
  versionIcon,
  versionLabel,
  versionMarkdown,
} from './summaries';

function env(pkgs: Record<string, string>, complete = true): EnvironmentInfo {
  return {
    interpreter: {
      executable: '/usr/bin/python3',
      version: '3.11.2',
      prefix: '/usr',
      foundBy: 'kernelspec',
      detail: 'kernel.json',
    },
    packages: Object.entries(pkgs).map(([name, version]) => ({ name, version, location: '/x' })),
    conda: null,
    machine: {
      os: 'Debian 12',
      release: '6.1',
      kernel: '6.1',
      arch: 'x64',
      cpu: 'Xeon',
      cpus: 2,
      memoryBytes: 2 ** 34,
    },
    gpus: [],
    gpuNote: 'nvidia-smi not found',
    lockfiles: [],
    envVarNames: ['HOME', 'PATH'],
    complete,
    ...(complete ? {} : { incompleteReason: 'timed out' }),
  };
}

test('package changes: upgraded, added, removed, with names compared PEP 503-style', () => {
  const a = env({ torch: '1.13.1', scikit_learn: '1.2.1', pandas: '1.5' });
  const b = env({ torch: '2.0.0', 'scikit-learn': '1.2.1', numpy: '1.24' });
  assert.deepEqual(packageChanges(a, b), [
    { name: 'numpy', from: null, to: '1.24' },
    { name: 'pandas', from: '1.5', to: null },
    { name: 'torch', from: '1.13.1', to: '2.0.0' },
  ]);
});

test('the one-line summary names the interpreter and at most two package changes', () => {
  const a = env({ torch: '1.13.1', a: '1', b: '1' });
  const b = env({ torch: '2.0.0', a: '2', b: '2' });
  assert.equal(environmentSummary(b, a), 'py 3.11.2 /usr/bin/python3 · a 1→2, b 1→2 +1 more');
  assert.equal(environmentSummary(b, null), 'py 3.11.2 /usr/bin/python3');
  assert.equal(environmentSummary(env({}, false), null), 'py 3.11.2 /usr/bin/python3 · incomplete');
  assert.equal(environmentSummary(null, null), 'no environment');
});

test('version rows show age, trigger, size and tags', () => {
  const now = 10_000_000;
  const v = {
    seq: 4,
    createdAt: now - 90_000,
    trigger: 'save',
    size: 2048,
    tags: ['best'],
    remotes: [],
  } as unknown as VersionInfo;
  assert.equal(versionLabel(v, now), '@4 · 2m ago');
  assert.equal(versionDescription(v, 'py 3.11'), 'save · 2.0 KiB · py 3.11 [best]');
  assert.equal(
    versionDescription(v, 'py 3.11', 'hidden 32→64: +416 params'),
    'save · 2.0 KiB · hidden 32→64: +416 params · py 3.11 [best]',
  );
});

test('the environment view filters rows but keeps their groups', () => {
  const rows = environmentRows(env({ torch: '1.13.1', numpy: '1.24' }), null, 'TORCH');
  assert.deepEqual(
    rows.map((r) => r.label),
    ['Packages'],
  );
  assert.deepEqual(
    rows[0]?.children?.map((c) => c.label),
    ['torch'],
  );
  const all = environmentRows(env({ torch: '1' }), null);
  assert.ok(all.some((r) => r.label === 'Environment variables' && r.description === '2 names'));
});

test("a teammate's version names its author; versions on a remote say which", () => {
  const here = { author: 'bob', host: 'laptop' };
  const mine = {
    seq: 2,
    trigger: 'save',
    size: 10,
    tags: [],
    remotes: ['origin'],
    author: 'bob',
    host: 'laptop',
  } as unknown as VersionInfo;
  const theirs = {
    seq: 3,
    trigger: 'watch',
    size: 10,
    tags: [],
    remotes: ['origin', 'backup'],
    author: 'alice',
    host: 'gpu-box',
  } as unknown as VersionInfo;
  const old = { seq: 1, trigger: 'watch', size: 10, tags: [], remotes: [] } as unknown as VersionInfo;
  assert.equal(versionDescription(mine, 'py 3.11', undefined, here), 'save · 10 B · py 3.11 · on origin');
  assert.equal(
    versionDescription(theirs, 'py 3.11', undefined, here),
    'by alice · watch · 10 B · py 3.11 · on origin, backup',
  );
  assert.equal(versionDescription(old, 'py 3.11', undefined, here), 'watch · 10 B · py 3.11');
  assert.equal(
    versionDescription({ ...mine, host: 'gpu-box' }, 'py', undefined, here),
    'from gpu-box · save · 10 B · py · on origin',
  );
  assert.deepEqual(
    [versionIcon(old, here), versionIcon(mine, here), versionIcon(theirs, here)],
    ['git-commit', 'cloud', 'account'],
  );
  assert.equal(versionIcon({ ...theirs, tags: ['best'] }, here), 'tag');
  assert.equal(recordedBy(mine, undefined), 'by bob', 'without knowing who is here, every author is named');
});

test("the hover names the author and host of a teammate's version and the remotes holding it", () => {
  const theirs = {
    path: 'a.ipynb',
    seq: 3,
    createdAt: 0,
    trigger: 'watch',
    size: 10,
    blob: 'ab',
    snapshotId: 's',
    tags: [],
    remotes: ['origin'],
    author: 'alice',
    host: 'gpu-box',
    lineage: null,
    message: null,
  } as unknown as VersionInfo;
  const md = versionMarkdown(theirs, null, null);
  assert.match(md, /\| author \| alice on gpu-box \|/);
  assert.match(md, /\| on remotes \| origin \|/);
  assert.match(versionMarkdown({ ...theirs, remotes: [] }, null, null), /\| on remotes \| none \(not pushed\) \|/);
});

test('the Interpreter row says how the interpreter was found; its hover says why', () => {
  const [interpreter] = environmentRows(env({}), null);
  assert.equal(interpreter?.label, 'Interpreter');
  assert.equal(interpreter?.description, "/usr/bin/python3 — found by the notebook's kernelspec");
  assert.equal(interpreter?.tooltip, 'kernel.json');
  assert.deepEqual(
    interpreter?.children?.find((c) => c.label === 'found by'),
    { label: 'found by', description: "the notebook's kernelspec" },
  );
});
