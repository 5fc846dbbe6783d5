/**
 * The detection report: every sample `test/fixtures/pickles/make_pickles.py` wrote (one per
 * malicious technique from picklescan's, fickling's and modelscan's suites and mlsnap's own,
 * plus benign controls from real torch/numpy/sklearn/joblib files) is assessed the way the
 * push and promote gates assess a model, and must get the verdict `expected.json` gives it.
 * The table (technique, expected, got) is printed as test diagnostics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assessModelFile } from '../../../gate/SecretGate';
import { summarizeModel } from '../ModelDiff';

const DIR = path.join(__dirname, '..', '..', '..', '..', '..', 'test', 'fixtures', 'pickles');
/** What every malicious sample would run: it must never appear. */
const MARKER = '/tmp/mlsnap-pickles-pwned';

interface Expectation {
  technique: string;
  expected: 'safe' | 'suspicious' | 'dangerous' | 'unknown';
  source: string;
}

const EXPECTED = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as Record<string, Expectation>;

interface Row {
  file: string;
  technique: string;
  source: string;
  expected: string;
  got: string;
  blocked: boolean;
}

function table(rows: Row[]): string {
  const head = ['sample', 'technique', 'source', 'expected', 'got', 'push/promote'];
  const cells = rows.map((r) => [r.file, r.technique, r.source, r.expected, r.got, r.blocked ? 'blocked' : 'passes']);
  const widths = head.map((h, i) => Math.min(70, Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length))));
  const line = (c: string[]): string => c.map((x, i) => x.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join(' | ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n');
}

test('detection report: every sample gets its expected verdict, and the gates block exactly dangerous and unknown', async (t) => {
  fs.rmSync(MARKER, { force: true });
  const rows: Row[] = [];
  for (const [file, exp] of Object.entries(EXPECTED)) {
    const full = path.join(DIR, file);
    const a = await assessModelFile(path.basename(file), full);
    rows.push({
      file,
      technique: exp.technique,
      source: exp.source,
      expected: exp.expected,
      got: a.verdict ?? 'not a pickle',
      blocked: a.findings.length > 0,
    });
  }
  const report = table(rows);
  for (const l of report.split('\n')) t.diagnostic(l);
  const counts = (pred: (r: Row) => boolean): number => rows.filter(pred).length;
  const malicious = rows.filter((r) => r.expected === 'dangerous' || r.expected === 'unknown');
  t.diagnostic(
    `${rows.length} samples: ${counts((r) => r.got === r.expected)} as expected; ` +
      `${malicious.filter((r) => r.blocked).length}/${malicious.length} malicious blocked; ` +
      `${counts((r) => !malicious.includes(r) && !r.blocked)}/${rows.length - malicious.length} benign or suspicious pass`,
  );
  const wrong = rows.filter((r) => r.got !== r.expected);
  assert.deepEqual(
    wrong.map((r) => `${r.file}: expected ${r.expected}, got ${r.got}`),
    [],
  );
  for (const r of rows) assert.equal(r.blocked, r.expected === 'dangerous' || r.expected === 'unknown', r.file);
  assert.equal(fs.existsSync(MARKER), false, 'a sample ran');
});

test('benign controls parse completely: summaries with their tensors or estimator, no parse warning', async () => {
  for (const [file, exp] of Object.entries(EXPECTED)) {
    if (exp.source !== 'benign') continue;
    const s = await summarizeModel(path.join(DIR, file));
    assert.ok(s.pickleVerdict === 'safe' || s.pickleVerdict === 'suspicious', `${file}: ${s.pickleVerdict}`);
    assert.deepEqual(
      s.warnings.filter((w) => !/empty|not supported: tensors/.test(w)),
      [],
      file,
    );
    const described = s.tensors.length > 0 || s.facts['estimator'] || s.facts['root'] || s.facts['storages'];
    assert.ok(described, file);
  }
});

test('the samples that once got through: compressed joblib, renamed members, dotted names, package prefixes', async () => {
  const dangerous = [
    'malicious/evil_bz2.joblib',
    'malicious/evil_lzma.joblib',
    'malicious/evil_xz.joblib',
    'malicious/torch_zip_renamed_member.pt',
    'malicious/torch_zip_first_prefix.pt',
    'malicious/torch_tar.pt',
    'malicious/second_pickle.pkl',
    'malicious/sklearn_testing.pkl',
    'malicious/build_on_global.pkl',
    'malicious/computed_callable.pkl',
  ];
  for (const f of dangerous) {
    const s = await summarizeModel(path.join(DIR, f));
    assert.equal(s.pickleVerdict, 'dangerous', f);
  }
  // Once refused as code execution: numpy scalar types (an estimator's dtype=np.float64), ufuncs, sparse layouts.
  for (const f of ['benign/sklearn_onehot.joblib', 'benign/sklearn_tfidf.joblib', 'benign/torch_sparse.pt']) {
    const s = await summarizeModel(path.join(DIR, f));
    assert.deepEqual(
      (s.globals ?? []).filter((g) => g.level === 'dangerous'),
      [],
      f,
    );
  }
});
