import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricsDiff, NotebookDiff, VersionDiff } from './diff';
import { diffToText } from './diffFormat';
import { signed } from './signed';

function version(file: VersionDiff['file'], summary: string): VersionDiff {
  return {
    path: 'x',
    before: { ref: 'x@1', seq: 1 },
    after: { ref: 'x@2', seq: 2 },
    summary,
    file,
    environment: null,
    identical: false,
  };
}

test('metrics text shows the delta and the percent, with one minus sign', () => {
  const m: MetricsDiff = {
    type: 'metrics',
    changes: [
      {
        key: 'accuracy',
        before: 0.91,
        after: 0.87,
        delta: 0.87 - 0.91,
        percent: ((0.87 - 0.91) / 0.91) * 100,
        better: 'up',
        regression: true,
      },
      { key: 'epochs', before: 10, after: 12, delta: 2, percent: 20, better: null, regression: false },
    ],
  } as MetricsDiff;
  const text = diffToText(version(m, 's'));
  assert.match(text, /REGRESSION accuracy: 0\.91 → 0\.87 \(Δ −0\.04, −4\.4%\)/);
  assert.match(text, /epochs: 10 → 12 \(Δ \+2, \+20\.0%\)/);
  assert.doesNotMatch(text, /-\d/);
});

test('notebook text shows execution counts and metadata values when they were asked for', () => {
  const nb: NotebookDiff = {
    type: 'notebook',
    nbformat: { before: '4.5', after: '4.5' },
    cells: [
      {
        status: 'modified',
        id: 'a',
        cellType: 'code',
        beforeIndex: 0,
        afterIndex: 0,
        outputChanges: [],
        executionCountChanged: true,
        executionCount: { before: 1, after: 7 },
        metadataChanged: true,
        metadataChanges: [{ key: 'tags', before: '["p"]', after: null }],
      },
    ],
    metadataChanges: ['kernelspec'],
    metadataDetail: [{ key: 'kernelspec', before: '{"name":"a"}', after: '{"name":"b"}' }],
    counts: { added: 0, removed: 0, modified: 1, moved: 0, unchanged: 0 },
  };
  const text = diffToText(version(nb, '1 cell modified'));
  assert.match(text, /execution count 1 → 7/);
  assert.match(text, /tags: \["p"\] → \(absent\)/);
  assert.match(text, /kernelspec: \{"name":"a"\} → \{"name":"b"\}/);
});

test('signed: plus, the minus sign U+2212, ± for zero', () => {
  assert.equal(signed(2400), '+2,400');
  assert.equal(signed(-990005), '\u2212990,005');
  assert.equal(signed(0), '±0');
  assert.equal(signed(-4.44, 1), '\u22124.4');
});
