import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { CellDiff, NotebookDiff } from '../../../../shared/src/diff';
import { diffToText } from '../../../../shared/src/diffFormat';
import { MlsnapError } from '../../../../shared/src/errors';
import { makeLargeNotebook } from './largeNotebook';
import { diffNotebooks, imageHash, notebookSummaryLine, stripAnsi } from './NotebookDiff';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'notebooks');
const fixture = (name: string): Buffer => readFileSync(path.join(FIXTURES, name));

type Json = Record<string, unknown>;
const toJson = (buf: Buffer): Json => JSON.parse(buf.toString('utf8')) as Json;
const toBuf = (nb: unknown): Buffer => Buffer.from(JSON.stringify(nb, null, 1));
const cellsOf = (nb: Json): Json[] => nb['cells'] as Json[];

/** The CLI's text of a notebook diff, as lines. */
function formatDiff(d: NotebookDiff): string[] {
  const v = { path: 'n.ipynb', before: { ref: 'n.ipynb@1', seq: 1 }, after: { ref: 'n.ipynb@2', seq: 2 } };
  return diffToText({ ...v, summary: notebookSummaryLine(d), file: d, environment: null, identical: false }).split(
    '\n',
  );
}

function cell(d: NotebookDiff, id: string): CellDiff {
  const c = d.cells.find((x) => x.id === id);
  assert.ok(c, `no cell ${id} in ${d.cells.map((x) => x.id).join(', ')}`);
  return c;
}

/** No visible change; `summary` is what the line says of hidden ones ("no change" when none). */
function assertNoChange(d: NotebookDiff, summary = 'no change'): void {
  assert.equal(notebookSummaryLine(d), summary);
  assert.deepEqual(d.counts, { added: 0, removed: 0, modified: 0, moved: 0, unchanged: d.cells.length });
  for (const c of d.cells) assert.deepEqual(c.outputChanges, []);
}

/** Checks the shape of the fixture pair's diff (before.ipynb → after.ipynb), whatever matched the cells. */
function assertFixturePairDiff(d: NotebookDiff, matchedBy: 'id' | 'content'): void {
  assert.deepEqual(d.counts, { added: 1, removed: 1, modified: 1, moved: 1, unchanged: 4 });
  assert.equal(notebookSummaryLine(d), '1 cell modified (outputs changed in 1), 1 added, 1 removed, 1 moved');

  const plot = d.cells.find((c) => c.status === 'modified');
  assert.ok(plot);
  assert.equal(plot.matchedBy, matchedBy);
  assert.equal(plot.beforeIndex, 2);
  assert.equal(plot.afterIndex, 3);
  assert.ok(plot.sourceDiff?.some((l) => l.op === 'remove' && l.text === 'freq = 1.0'));
  assert.ok(plot.sourceDiff?.some((l) => l.op === 'add' && l.text === 'freq = 2.0'));
  assert.ok(plot.sourceDiff?.some((l) => l.op === 'equal' && l.text === 'plt.show()'));

  assert.equal(plot.outputChanges.length, 2);
  const [text, image] = plot.outputChanges;
  assert.ok(text && image);
  assert.equal(text.status, 'modified');
  assert.equal(text.before?.type, 'stream');
  assert.deepEqual(
    text.textDiff?.filter((l) => l.op !== 'equal').map((l) => `${l.op} ${l.text.split(' ')[0] ?? ''}`),
    ['remove freq', 'remove sum', 'add freq', 'add sum'],
  );
  assert.equal(image.status, 'modified');
  assert.equal(image.index, 1);
  const hBefore = image.before?.images?.['image/png'];
  const hAfter = image.after?.images?.['image/png'];
  assert.match(hBefore ?? '', /^[0-9a-f]{64}$/);
  assert.match(hAfter ?? '', /^[0-9a-f]{64}$/);
  assert.notEqual(hBefore, hAfter);
  assert.equal(image.textDiff, undefined, 'the figure repr did not change, so no text diff');

  const removed = d.cells.find((c) => c.status === 'removed');
  assert.equal(removed?.beforeIndex, 3);
  assert.deepEqual(
    removed?.sourceDiff?.map((l) => l.op),
    ['remove'],
  );
  const added = d.cells.find((c) => c.status === 'added');
  assert.equal(added?.afterIndex, 4);
  assert.equal(added?.outputChanges.length, 2);
  const moved = d.cells.find((c) => c.status === 'moved');
  assert.equal(moved?.cellType, 'markdown');
  assert.equal(moved?.beforeIndex, 4);
  assert.equal(moved?.afterIndex, 1);
}

describe('executed fixture notebooks', () => {
  test('before → after: changed cell by id, its text and image outputs, added/removed/moved cells', () => {
    const d = diffNotebooks(fixture('before.ipynb'), fixture('after.ipynb'), { file: 'nb.ipynb' });
    assert.deepEqual(d.nbformat, { before: '4.5', after: '4.5' });
    assertFixturePairDiff(d, 'id');
    assert.equal(cell(d, 'plot').status, 'modified');
    assert.equal(cell(d, 'temp-check').status, 'removed');
    assert.equal(cell(d, 'new-cell').status, 'added');
    assert.equal(cell(d, 'notes').status, 'moved');
    for (const id of ['intro', 'setup', 'summary', 'fail']) assert.equal(cell(d, id).status, 'unchanged', id);
    // Display order: after's order, the removed cell where it was (after `plot`, its predecessor).
    assert.deepEqual(
      d.cells.map((c) => c.id),
      ['intro', 'notes', 'setup', 'plot', 'temp-check', 'new-cell', 'summary', 'fail'],
    );
  });

  test('image hashes are sha-256 of the decoded PNG bytes of each side', () => {
    const png = (nb: Json): string => {
      const plot = cellsOf(nb).find((c) => c['id'] === 'plot') as Json;
      const out = (plot['outputs'] as Json[])[1] as Json;
      return (out['data'] as Record<string, string>)['image/png'] as string;
    };
    const before = png(toJson(fixture('before.ipynb')));
    const after = png(toJson(fixture('after.ipynb')));
    const sha = (b64: string): string => createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex');
    const d = diffNotebooks(fixture('before.ipynb'), fixture('after.ipynb'));
    const image = cell(d, 'plot').outputChanges[1];
    assert.equal(image?.before?.images?.['image/png'], sha(before));
    assert.equal(image?.after?.images?.['image/png'], sha(after));
    assert.equal(imageHash('image/png', before), sha(before));
  });

  test('without cell ids the same pair is matched by content', () => {
    const strip = (buf: Buffer): Buffer => {
      const nb = toJson(buf);
      nb['nbformat_minor'] = 4;
      for (const c of cellsOf(nb)) delete c['id'];
      return toBuf(nb);
    };
    const d = diffNotebooks(strip(fixture('before.ipynb')), strip(fixture('after.ipynb')));
    assertFixturePairDiff(d, 'content');
    assert.equal(d.cells.find((c) => c.status === 'modified')?.id, 'after[3]');
    assert.equal(d.cells.find((c) => c.status === 'removed')?.id, 'before[3]');
  });

  test('execution-count-only changes are hidden by default and shown on request', () => {
    const hidden = diffNotebooks(fixture('ec_before.ipynb'), fixture('ec_after.ipynb'));
    // Hidden, but never called "no change": the line names the flag that shows them.
    assertNoChange(hidden, 'only execution counts changed; use --execution-counts');
    const code = hidden.cells.filter((c) => c.cellType === 'code');
    assert.equal(code.length, 5);
    for (const c of code) assert.equal(c.executionCountChanged, true, c.id);
    for (const c of hidden.cells.filter((x) => x.cellType === 'markdown'))
      assert.equal(c.executionCountChanged, undefined);

    const shown = diffNotebooks(fixture('ec_before.ipynb'), fixture('ec_after.ipynb'), { showExecutionCounts: true });
    assert.equal(shown.counts.modified, 5);
    for (const c of shown.cells.filter((x) => x.cellType === 'code')) {
      assert.ok(
        c.executionCount && c.executionCount.before !== c.executionCount.after,
        `${c.id} shows its counts before → after`,
      );
    }
    assert.equal(shown.counts.unchanged, 2);
    assert.equal(notebookSummaryLine(shown), '5 cells modified (outputs changed in 1)');
    // The traceback names the prompt ("Cell In [15]"): an output change only when counts are shown.
    const fail = cell(shown, 'fail');
    assert.equal(fail.outputChanges[0]?.before?.type, 'error');
    assert.ok(fail.outputChanges[0]?.textDiff?.some((l) => l.op === 'add' && l.text.includes('In [15]')));
  });

  test('nbformat 3 parses (worksheets, input, pyout, pyerr, png keys) and matches its v4 original', () => {
    const v3 = toJson(fixture('before_v3.ipynb'));
    assert.equal(v3['nbformat'], 3);
    assert.ok(Array.isArray(v3['worksheets']));
    const self = diffNotebooks(fixture('before_v3.ipynb'), fixture('before_v3.ipynb'));
    assert.deepEqual(self.nbformat, { before: '3.0', after: '3.0' });
    assert.equal(self.cells.length, 7);
    assertNoChange(self);

    const vsV4 = diffNotebooks(fixture('before_v3.ipynb'), fixture('before.ipynb'));
    assert.deepEqual(vsV4.nbformat, { before: '3.0', after: '4.5' });
    assertNoChange(vsV4, 'only metadata changed; use --metadata');
    assert.ok(vsV4.cells.every((c) => c.matchedBy === 'content'));

    // v3 → v4 after: the same changes as the v4 pair, found by content.
    const d = diffNotebooks(fixture('before_v3.ipynb'), fixture('after.ipynb'));
    assertFixturePairDiff(d, 'content');
    assert.equal(d.cells.find((c) => c.status === 'modified')?.id, 'plot');
    // pyout / pyerr read as execute_result / error.
    const removed = diffNotebooks(
      fixture('before_v3.ipynb'),
      toBuf({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }),
    );
    const types = removed.cells.flatMap((c) => c.outputChanges.map((o) => o.before?.type));
    assert.ok(types.includes('execute_result'));
    assert.ok(types.includes('error'));
    assert.ok(removed.cells.some((c) => c.outputChanges.some((o) => o.before?.images?.['image/png'])));
  });

  test('every fixture diffed with itself reports no change', () => {
    for (const name of ['before.ipynb', 'after.ipynb', 'before_v3.ipynb', 'ec_before.ipynb', 'ec_after.ipynb']) {
      const d = diffNotebooks(fixture(name), fixture(name), { showMetadata: true, showExecutionCounts: true });
      assertNoChange(d);
      assert.deepEqual(d.metadataChanges, []);
    }
  });
});

describe('invalid input', () => {
  test('a notebook that is not JSON is an invalid-file error naming the file', () => {
    const bad = Buffer.from('{"cells": [ {"cell_type": "code", ');
    assert.throws(
      () => diffNotebooks(bad, fixture('after.ipynb'), { file: 'work/broken.ipynb' }),
      (err: unknown) =>
        err instanceof MlsnapError &&
        err.kind === 'invalid-file' &&
        err.path === 'work/broken.ipynb' &&
        err.message.startsWith('work/broken.ipynb: not valid JSON'),
    );
    assert.throws(
      () => diffNotebooks(fixture('before.ipynb'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]), { file: 'x.ipynb' }),
      (err: unknown) => err instanceof MlsnapError && err.kind === 'invalid-file' && err.message.includes('x.ipynb'),
    );
  });

  test('JSON that is not a notebook is refused', () => {
    for (const text of ['[1, 2]', '{"metadata": {}}', '"cells"', 'null']) {
      assert.throws(
        () => diffNotebooks(Buffer.from(text), Buffer.from(text), { file: 'data.ipynb' }),
        (err: unknown) =>
          err instanceof MlsnapError &&
          err.kind === 'invalid-file' &&
          /^data\.ipynb: not a Jupyter notebook/.test(err.message),
        text,
      );
    }
  });

  test('lenient: odd cells and outputs are read as far as they go', () => {
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        7,
        { cell_type: 'code', source: ['a = 1\n', 'a'], outputs: [null, { output_type: 'stream', text: 3 }] },
        { source: 'x' },
      ],
    };
    const d = diffNotebooks(Buffer.from('\ufeff' + JSON.stringify(nb)), toBuf(nb));
    assert.equal(d.cells.length, 2);
    assertNoChange(d);
  });
});

describe('synthetic notebooks', () => {
  const code = (
    id: string | undefined,
    source: string | string[],
    outputs: unknown[] = [],
    extra: Json = {},
  ): Json => ({
    cell_type: 'code',
    ...(id === undefined ? {} : { id }),
    execution_count: 1,
    metadata: {},
    source,
    outputs,
    ...extra,
  });
  const nb = (cells: Json[], metadata: Json = {}): Buffer => toBuf({ nbformat: 4, nbformat_minor: 5, metadata, cells });

  test('source as a string or as a list of lines is the same source', () => {
    const d = diffNotebooks(nb([code('a', 'x = 1\ny = 2\n')]), nb([code('a', ['x = 1\n', 'y = 2\n'])]));
    assertNoChange(d);
  });

  test('error outputs: ename: evalue plus the traceback without ANSI escapes', () => {
    const err = (value: string): Json => ({
      output_type: 'error',
      ename: 'KeyError',
      evalue: value,
      traceback: ['\u001b[0;31m---------\u001b[0m', `\u001b[0;31mKeyError\u001b[0m: ${value}`],
    });
    const d = diffNotebooks(nb([code('a', 'd["k"]', [err("'k'")])]), nb([code('a', 'd["k"]', [err("'j'")])]));
    const change = cell(d, 'a').outputChanges[0];
    assert.equal(change?.before?.text, "KeyError: 'k'");
    assert.equal(change?.after?.text, "KeyError: 'j'");
    assert.deepEqual(change?.textDiff, [
      { op: 'remove', text: "KeyError: 'k'" },
      { op: 'add', text: "KeyError: 'j'" },
      { op: 'equal', text: '---------' },
      { op: 'remove', text: "KeyError: 'k'" },
      { op: 'add', text: "KeyError: 'j'" },
    ]);
    assert.equal(
      stripAnsi('\u001b[38;5;28;01mraise\u001b[39;00m x\u001b]8;;http://a\u0007link\u001b]8;;\u0007'),
      'raise xlink',
    );
  });

  test('outputs added, removed and re-encoded images', () => {
    const png = Buffer.from('not really a png, but bytes').toString('base64');
    const wrapped = png.replace(/(.{8})/g, '$1\n');
    const img = (data: string): Json => ({
      output_type: 'display_data',
      metadata: {},
      data: { 'image/png': data, 'text/plain': ['<Figure>'] },
    });
    const d = diffNotebooks(
      nb([
        code('a', 'plot()', [img(png)]),
        code('b', 'print(1)', [{ output_type: 'stream', name: 'stdout', text: '1\n' }]),
      ]),
      nb([
        code('a', 'plot()', [img(wrapped)]),
        code('b', 'print(1)', [
          { output_type: 'stream', name: 'stdout', text: '1\n' },
          { output_type: 'stream', name: 'stderr', text: 'warn\n' },
        ]),
      ]),
    );
    assert.equal(cell(d, 'a').status, 'unchanged', 'same image bytes, other base64 line wrapping');
    const b = cell(d, 'b');
    assert.equal(b.status, 'modified');
    assert.deepEqual(b.outputChanges, [
      { index: 1, status: 'added', after: { type: 'stream', mimes: [], text: 'warn\n' } },
    ]);
    assert.equal(b.sourceDiff, undefined, 'the source did not change');
    assert.equal(notebookSummaryLine(d), '1 cell modified (outputs changed in 1)');
  });

  test('metadata changes only with showMetadata', () => {
    const before = nb([code('a', 'x', [], { metadata: { tags: ['t'] } })], {
      kernelspec: { name: 'python3' },
      authors: [],
    });
    const after = nb([code('a', 'x', [], { metadata: { tags: ['u'] } })], {
      kernelspec: { name: 'conda-env' },
      authors: [],
    });
    assertNoChange(diffNotebooks(before, after), 'only metadata changed; use --metadata');
    const d = diffNotebooks(before, after, { showMetadata: true });
    assert.equal(cell(d, 'a').metadataChanged, true);
    assert.equal(cell(d, 'a').status, 'modified');
    assert.deepEqual(d.metadataChanges, ['kernelspec']);
    assert.equal(notebookSummaryLine(d), '1 cell modified, notebook metadata changed (kernelspec)');
  });

  test('markdown attachments added, changed or removed are reported, with hashes', () => {
    const png = (seed: string): string => Buffer.from(`png-bytes-${seed}`).toString('base64');
    const md = (id: string, attachments: Json): Json => ({
      cell_type: 'markdown',
      id,
      metadata: {},
      source: '![plot](attachment:plot.png)',
      attachments,
    });
    const before = nb([md('m', { 'plot.png': { 'image/png': png('a') }, 'old.png': { 'image/png': png('o') } })]);
    const after = nb([md('m', { 'plot.png': { 'image/png': png('b') }, 'new.gif': { 'image/gif': png('n') } })]);
    const d = diffNotebooks(before, after);
    const m = cell(d, 'm');
    assert.equal(m.status, 'modified');
    assert.equal(m.sourceDiff, undefined, 'the markdown text did not change');
    assert.deepEqual(
      m.attachmentChanges?.map((a) => [a.name, a.status, a.mimes.join()]),
      [
        ['new.gif', 'added', 'image/gif'],
        ['old.png', 'removed', 'image/png'],
        ['plot.png', 'modified', 'image/png'],
      ],
    );
    const plot = m.attachmentChanges?.find((a) => a.name === 'plot.png');
    assert.equal(plot?.after?.['image/png'], createHash('sha256').update(png('b')).digest('hex'));
    assert.equal(notebookSummaryLine(d), '1 cell modified');
    assert.match(formatDiff(d).join('\n'), /attachment plot\.png modified \[image\/png\]: [0-9a-f]{12} → [0-9a-f]{12}/);
    // The same attachments, keys in another order: no change.
    assertNoChange(
      diffNotebooks(
        after,
        nb([md('m', { 'new.gif': { 'image/gif': png('n') }, 'plot.png': { 'image/png': png('b') } })]),
      ),
    );
  });

  test('a cell whose id alone changed is reported with showMetadata, hidden (and said) without', () => {
    const before = nb([code('a', 'one'), code('b', 'two'), code('c', 'three')]);
    const after = nb([code('a', 'one'), code('z', 'two'), code('c', 'three')]);
    const hidden = diffNotebooks(before, after);
    assertNoChange(hidden, 'only metadata changed; use --metadata');
    assert.equal(hidden.hidden?.metadata, 1);
    const shown = diffNotebooks(before, after, { showMetadata: true });
    const z = cell(shown, 'z');
    assert.equal(z.status, 'modified');
    assert.deepEqual(z.idChange, { before: 'b', after: 'z' });
    assert.match(formatDiff(shown).join('\n'), /id b → z/);
  });

  test('duplicate or regenerated ids fall back to content matching', () => {
    const dup = diffNotebooks(nb([code('a', 'one'), code('a', 'two')]), nb([code('a', 'two'), code('a', 'one')]));
    assert.equal(dup.counts.moved, 1);
    assert.equal(dup.counts.unchanged, 1);
    assert.ok(dup.cells.every((c) => c.matchedBy === 'content'));
    const regen = diffNotebooks(nb([code('a', 'one'), code('b', 'two')]), nb([code('c', 'one'), code('d', 'two!')]));
    assert.equal(regen.counts.unchanged, 1);
    assert.equal(regen.counts.modified, 1);
    assert.equal(cell(regen, 'd').matchedBy, 'content');
  });

  test('content matching: edited cells pair up, unrelated ones are added and removed', () => {
    const before = nb([
      code(undefined, 'import numpy as np'),
      code(undefined, 'df = load("train.csv")\ndf.head()'),
      code(undefined, 'model.fit(X, y)'),
    ]);
    const after = nb([
      code(undefined, 'import numpy as np'),
      code(undefined, 'df = load("test.csv")\ndf.head()'),
      code(undefined, 'print(42)'),
    ]);
    const d = diffNotebooks(before, after);
    assert.deepEqual(d.counts, { added: 1, removed: 1, modified: 1, moved: 0, unchanged: 1 });
    assert.equal(d.cells.find((c) => c.status === 'modified')?.id, 'after[1]');
    assert.deepEqual(
      d.cells.map((c) => c.status),
      ['unchanged', 'modified', 'removed', 'added'],
    );
  });

  test('an empty notebook against a full one: everything added', () => {
    const d = diffNotebooks(nb([]), fixture('before.ipynb'));
    assert.equal(d.counts.added, 7);
    assert.equal(notebookSummaryLine(d), '7 cells added');
  });
});

describe('large notebooks', () => {
  test('two ~20 MB, 500-cell notebooks with images diff quickly (with and without ids)', () => {
    const imageBytes = 37_500;
    for (const withIds of [true, false]) {
      const before = makeLargeNotebook(500, imageBytes, 0, { withIds });
      const after = makeLargeNotebook(500, imageBytes, 1, { withIds });
      assert.ok(before.length > 19_000_000 && before.length < 22_000_000, `size ${before.length}`);
      assert.deepEqual(makeLargeNotebook(500, imageBytes, 1, { withIds }), after, 'deterministic');
      diffNotebooks(makeLargeNotebook(20, 100, 0), makeLargeNotebook(20, 100, 1)); // warm-up
      const t0 = performance.now();
      const d = diffNotebooks(before, after);
      const ms = performance.now() - t0;
      console.log(
        `diff of two ${(before.length / 1e6).toFixed(1)} MB / 500-cell notebooks (${withIds ? 'ids' : 'content matching'}): ${ms.toFixed(0)} ms — ${notebookSummaryLine(d)}`,
      );
      assert.ok(ms < 10_000, `${ms} ms`); // generous: loaded CI machines
      assert.ok(d.counts.unchanged > 450);
      assert.ok(d.counts.modified > 0 && d.counts.moved > 0);
      const changedImage = d.cells.find((c) => c.status === 'modified' && c.outputChanges.some((o) => o.after?.images));
      assert.ok(changedImage);

      const self = diffNotebooks(after, after);
      assertNoChange(self);
    }
  });

  test('with ids the edits of the generator are found exactly', () => {
    const before = makeLargeNotebook(200, 64, 0);
    const after = makeLargeNotebook(200, 64, 3);
    const d = diffNotebooks(before, after);
    assert.equal(d.counts.added, 2);
    assert.equal(d.counts.removed, 2);
    assert.ok(
      d.cells.every(
        (c) => c.executionCountChanged || c.cellType === 'markdown' || c.status === 'added' || c.status === 'removed',
      ),
    );
  });
});

describe('detail shown on request', () => {
  const base = (): Json => ({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' }, language_info: { name: 'python' } },
    cells: [
      {
        id: 'a',
        cell_type: 'code',
        source: 'x = 1',
        metadata: { tags: ['parameters'] },
        execution_count: 1,
        outputs: [],
      },
    ],
  });

  test('--metadata names each changed key with its values, for cells and the notebook', () => {
    const after = base();
    (after['metadata'] as Json)['kernelspec'] = { name: 'venv', display_name: '.venv' };
    (cellsOf(after)[0] as Json)['metadata'] = { tags: [], collapsed: true };
    const hidden = diffNotebooks(toBuf(base()), toBuf(after));
    assert.equal(notebookSummaryLine(hidden), 'only metadata changed; use --metadata');
    const shown = diffNotebooks(toBuf(base()), toBuf(after), { showMetadata: true });
    assert.deepEqual(shown.metadataDetail, [
      {
        key: 'kernelspec',
        before: '{"display_name":"Python 3","name":"python3"}',
        after: '{"display_name":".venv","name":"venv"}',
      },
    ]);
    assert.deepEqual(cell(shown, 'a').metadataChanges, [
      { key: 'collapsed', before: null, after: 'true' },
      { key: 'tags', before: '["parameters"]', after: '[]' },
    ]);
  });

  test('--execution-counts gives the counts before → after; hidden and visible changes together', () => {
    const after = base();
    (cellsOf(after)[0] as Json)['execution_count'] = 7;
    const shown = diffNotebooks(toBuf(base()), toBuf(after), { showExecutionCounts: true });
    assert.deepEqual(cell(shown, 'a').executionCount, { before: 1, after: 7 });
    // A visible change wins the summary; hidden ones are not mentioned then.
    (cellsOf(after)[0] as Json)['source'] = 'x = 2';
    assert.equal(notebookSummaryLine(diffNotebooks(toBuf(base()), toBuf(after))), '1 cell modified');
  });
});
