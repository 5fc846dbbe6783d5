import assert from 'node:assert/strict';
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { LineageFinder, namesTarget } from './Lineage';
import { notebookJson, tempDir } from './env.testkit';

const tmp = tempDir('lineage');
after(tmp.cleanup);

const T = Date.parse('2025-06-01T10:00:00Z');

function project(name: string): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function write(root: string, rel: string, content: string, times?: { mtimeMs: number; atimeMs?: number }): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  if (times !== undefined) utimesSync(file, new Date(times.atimeMs ?? times.mtimeMs), new Date(times.mtimeMs));
}

describe('namesTarget', () => {
  test('matches whole names only', () => {
    assert.equal(namesTarget('torch.save(m, "models/net.pt")', 'net.pt'), true);
    assert.equal(namesTarget("open('../models/net.pt', 'wb')", 'models/net.pt'), true);
    assert.equal(namesTarget('torch.save(m, "models/resnet.pt")', 'net.pt'), false);
    assert.equal(namesTarget('torch.save(m, "net.pth")', 'net.pt'), false);
    assert.equal(namesTarget('torch.save(m, "my_models/net.pt")', 'models/net.pt'), false);
    assert.equal(namesTarget('p = OUT / "net.pt"', 'net.pt'), true);
  });
});

describe('LineageFinder', () => {
  test('no notebook or script names the file: null', async () => {
    const root = project('none');
    write(root, 'train.py', 'print("nothing")\n');
    assert.equal(await new LineageFinder(root).find('model.pt', T), null);
  });

  test('a script read (atime) just before the file beats one only edited earlier', async () => {
    const root = project('scripts');
    write(root, 'a.py', 'joblib.dump(clf, "clf.joblib")\n', { mtimeMs: T - 3_600_000, atimeMs: T - 10_000 });
    write(root, 'b.py', 'joblib.dump(clf, "clf.joblib")\n', { mtimeMs: T - 100_000 });
    const found = await new LineageFinder(root).find('clf.joblib', T);
    assert.equal(found?.sourcePath, 'a.py');
    assert.match(found?.reason ?? '', /script atime/);
    // Reading it for lineage must not move its atime, which is our evidence of when it ran.
    assert.equal(statSync(path.join(root, 'a.py')).atimeMs, T - 10_000);
  });

  test('notebook without timestamps: its mtime counts with slack, since nbconvert writes it after the outputs', async () => {
    const root = project('mtime');
    write(root, 'late.ipynb', notebookJson({ cells: [{ source: 'save("out/metrics.json")' }] }), {
      mtimeMs: T + 5_000,
    });
    write(root, 'early.ipynb', notebookJson({ cells: [{ source: 'save("out/metrics.json")' }] }), {
      mtimeMs: T - 50_000,
    });
    const found = await new LineageFinder(root).find('out/metrics.json', T);
    assert.equal(found?.sourcePath, 'late.ipynb');
    assert.match(found?.reason ?? '', /notebook mtime/);
  });

  test('only candidates that ran after the file: the nearest is a weak guess, and says so', async () => {
    const root = project('after');
    write(root, 'x.ipynb', notebookJson({ cells: [{ source: 'save("m.onnx")' }] }), { mtimeMs: T + 600_000 });
    write(root, 'y.ipynb', notebookJson({ cells: [{ source: 'save("m.onnx")' }] }), { mtimeMs: T + 60_000 });
    const found = await new LineageFinder(root).find('m.onnx', T);
    assert.equal(found?.sourcePath, 'y.ipynb');
    assert.match(found?.reason ?? '', /weak guess/);
  });

  test('markdown cells and skipped directories do not count; the notebook names its kernelspec', async () => {
    const root = project('skips');
    const markdownOnly = JSON.stringify({
      cells: [{ cell_type: 'markdown', metadata: {}, source: ['we write model.pt'] }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    });
    write(root, 'doc.ipynb', markdownOnly, { mtimeMs: T });
    for (const skipped of ['.venv', 'venv', 'node_modules', '.ipynb_checkpoints', '.git', '.mlsnap', '__pycache__']) {
      write(root, `${skipped}/x.py`, 'save("model.pt")\n', { mtimeMs: T });
    }
    write(
      root,
      'src/deep/train.ipynb',
      notebookJson({ kernelName: 'gpu-env', cells: [{ source: 'save("model.pt")' }] }),
      {
        mtimeMs: T - 20_000,
      },
    );
    const found = await new LineageFinder(root).find('model.pt', T);
    assert.equal(found?.sourcePath, 'src/deep/train.ipynb');
    assert.equal(found?.kind, 'notebook');
    assert.equal(found?.kernelName, 'gpu-env');
  });

  test('a re-run notebook is re-read (cache follows mtime)', async () => {
    const root = project('cache');
    const finder = new LineageFinder(root);
    write(root, 'nb.ipynb', notebookJson({ cells: [{ source: 'print(1)' }] }), { mtimeMs: T - 1_000 });
    assert.equal(await finder.find('w.pt', T), null);
    write(root, 'nb.ipynb', notebookJson({ cells: [{ source: 'save("w.pt")' }] }), { mtimeMs: T - 500 });
    assert.equal((await finder.find('w.pt', T))?.sourcePath, 'nb.ipynb');
  });
});
