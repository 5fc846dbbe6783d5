import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age } from '../../../shared/src/age';
import { findPathLiterals, lensTitle, resolveLiteral } from './ModelPathReferences';

test('finds quoted model paths with their positions, in single and double quotes', () => {
  const text = 'x = 1\ntorch.save(m, "models/a.pt"); joblib.dump(c, \'out/clf.joblib\')\nopen("notes.txt")';
  const found = findPathLiterals(text);
  assert.deepEqual(
    found.map((f) => [f.text, f.line, f.startChar]),
    [
      ['models/a.pt', 1, 15],
      ['out/clf.joblib', 1, 46],
    ],
  );
  assert.equal(text.split('\n')[1]?.slice(15, found[0]?.endChar), 'models/a.pt');
});

test('relative literals resolve against the document folder; outside the project is null', () => {
  assert.equal(resolveLiteral('models/a.pt', '/p/nb/train.ipynb', '/p'), 'nb/models/a.pt');
  assert.equal(resolveLiteral('../models/a.pt', '/p/nb/train.ipynb', '/p'), 'models/a.pt');
  assert.equal(resolveLiteral('/p/m.onnx', '/p/x.py', '/p'), 'm.onnx');
  assert.equal(resolveLiteral('/elsewhere/m.onnx', '/p/x.py', '/p'), null);
});

test('lens titles read like the issue asks', () => {
  const now = 1_000_000_000;
  const v = { createdAt: now - 120_000 } as Parameters<typeof lensTitle>[2];
  assert.equal(lensTitle('models/x.pt', 3, v, now), 'models/x.pt · 3 versions · 2 min ago');
  assert.equal(age(now - 3 * 86400_000, now), '3 d ago');
});
