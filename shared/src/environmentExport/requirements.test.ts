import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CUDA_GOOD, cudaEnv, DEBIAN_DIRECT_GOOD, DEBIAN_FLAGGED, DEBIAN_GOOD, debianEnv } from './environments.testkit';
import { toRequirements } from './requirements';

/** The lines pip acts on: not comments, not options. */
function requirementLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('--'));
}

test('requirements: installable pins are live lines, flagged ones only comments with the reason', () => {
  const text = toRequirements(debianEnv());
  assert.match(text, /^# python 3\.11\.2 \(\/usr\/bin\/python3\)\n/);
  const live = requirementLines(text);
  assert.deepEqual(live.sort(), [...DEBIAN_GOOD, ...DEBIAN_DIRECT_GOOD].sort());
  for (const name of DEBIAN_FLAGGED) assert.ok(!live.some((l) => l.startsWith(name)), name);
  assert.match(text, /\n# Not pinned: no package index has these builds\.\n/);
  assert.match(
    text,
    /\n# torch==1\.13\.0a0\+gitunknown {2}— .*local build.* Instead: The nearest release, e\.g\. torch>=1\.13,<1\.14/,
  );
  assert.match(text, /\n# kiwisolver==0\.0\.0 {2}— /);
  assert.ok(!text.includes('--extra-index-url'));
});

test('requirements: PyTorch CUDA builds bring their index', () => {
  const text = toRequirements(cudaEnv());
  assert.deepEqual(requirementLines(text), [...CUDA_GOOD]);
  assert.equal(
    text.split('\n').filter((l) => l === '--extra-index-url https://download.pytorch.org/whl/cu121').length,
    1,
  );
  assert.ok(!text.includes('Not pinned'));
});

test('requirements: deterministic', () => {
  assert.equal(toRequirements(debianEnv()), toRequirements(debianEnv()));
});
