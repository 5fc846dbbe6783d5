import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { assessModelFile, pickleSafetyOf, scanModelFile } from './SecretGate';

const PICKLES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'pickles');

test('push: dangerous and unknown pickles give one blocking finding; suspicious classes are named, not blocking', async () => {
  const suspicious = await assessModelFile('models/m.joblib', path.join(PICKLES, 'benign', 'sklearn_tfidf.joblib'));
  assert.deepEqual(suspicious.findings, []);
  assert.equal(suspicious.verdict, 'suspicious');
  assert.ok(suspicious.suspicious.includes('sklearn.feature_extraction.text.TfidfVectorizer'));
  const user = await scanModelFile('models/u.pkl', path.join(PICKLES, 'malicious', 'user_class.pkl'));
  assert.deepEqual(user, []);

  const [d] = await scanModelFile('models/evil.pt', path.join(PICKLES, 'malicious', 'torch_zip_renamed_member.pt'));
  assert.equal(d?.rule, 'pickle-code-execution');
  assert.match(d?.excerpt ?? '', /^dangerous pickle: unsafe globals: posix\.system/);
  const [s] = await scanModelFile('models/c.pkl', path.join(PICKLES, 'malicious', 'computed_callable.pkl'));
  assert.equal(s?.rule, 'pickle-code-execution');
  assert.match(s?.message ?? '', /a callable built while loading/);
  const [u] = await scanModelFile('models/f.pkl', path.join(PICKLES, 'malicious', 'frame_past_stop.pkl'));
  assert.equal(u?.rule, 'pickle-unverifiable');
  assert.match(u?.excerpt ?? '', /verdict unknown: treat as unsafe/);
});

test('push: a pickle that stops parsing after a dangerous global names it, even when it does not look like a pickle', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsnap-gate-partial-'));
  // Protocol 0 text (no PROTO header) that imports posix.system, then junk.
  const file = path.join(dir, 'cut.pkl');
  fs.writeFileSync(file, Buffer.from('cposix\nsystem\n\xff', 'latin1'));
  const a = await assessModelFile('models/cut.pkl', file);
  assert.equal(a.verdict, 'dangerous');
  assert.equal(a.findings[0]?.rule, 'pickle-unverifiable');
  assert.match(a.findings[0]?.message ?? '', /before it stopped it references posix\.system \(dangerous\)/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('show: the verdict of the assessment the gates make, the finding for a blocked file; null for formats never unpickled', async () => {
  const models = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'models');
  const safety = async (rel: string, file: string) => pickleSafetyOf(await assessModelFile(rel, file));
  assert.deepEqual(await safety('m.pt', path.join(models, 'mlp_h32.pt')), { verdict: 'safe', suspicious: [] });
  const tfidf = await safety('m.joblib', path.join(PICKLES, 'benign', 'sklearn_tfidf.joblib'));
  assert.equal(tfidf?.verdict, 'suspicious');
  assert.ok(tfidf.suspicious.includes('sklearn.feature_extraction.text.TfidfVectorizer'));
  assert.equal(tfidf.detail, undefined);
  const evil = await safety('e.pkl', path.join(models, 'evil.pkl'));
  assert.equal(evil?.verdict, 'dangerous');
  assert.match(evil.detail ?? '', /^dangerous pickle: unsafe globals: posix\.system/);
  const frames = await safety('f.pkl', path.join(PICKLES, 'malicious', 'frame_past_stop.pkl'));
  assert.equal(frames?.verdict, 'unknown');
  assert.match(frames.detail ?? '', /^not readable as a pickle \(verdict unknown: treat as unsafe\)/);
  assert.equal(await safety('m.safetensors', path.join(models, 'mlp_h32.safetensors')), null);
});
