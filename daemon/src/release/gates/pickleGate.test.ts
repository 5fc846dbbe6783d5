import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { VersionInfo } from '../../../../shared/src/domain';
import { runGates } from './ReleaseGates';

const PICKLES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'pickles');

async function pickleGate(file: string): Promise<{ passed: boolean; message: string }> {
  const version = { path: `models/${path.basename(file)}`, seq: 1 } as VersionInfo;
  const subject = { version, environment: null, modelFile: path.join(PICKLES, file), producer: null, run: null };
  const [r] = await runGates({ gates: ['pickle'] }, subject, null);
  assert.ok(r);
  return r;
}

test('promote: the pickle gate fails dangerous and unknown, passes suspicious with a note naming the classes', async () => {
  const safe = await pickleGate('benign/torch_state_dict.pt');
  assert.deepEqual(safe, {
    gate: 'pickle',
    passed: true,
    message: 'no pickled global that would execute code on load',
  });
  const suspicious = await pickleGate('benign/sklearn_logreg.joblib');
  assert.equal(suspicious.passed, true);
  assert.match(
    suspicious.message,
    /note: loading rebuilds 1 class whose own code runs \(suspicious, not blocking\): sklearn\.linear_model\._logistic\.LogisticRegression/,
  );
  const full = await pickleGate('benign/torch_full_module.pt');
  assert.equal(full.passed, true);
  assert.match(full.message, /torch\.nn\.modules\.container\.Sequential/);
  const dangerous = await pickleGate('malicious/evil_xz.joblib');
  assert.equal(dangerous.passed, false);
  assert.match(dangerous.message, /dangerous: posix\.system/);
  const unknown = await pickleGate('malicious/frame_too_short.pkl');
  assert.equal(unknown.passed, false);
  assert.match(unknown.message, /Could not check what loading this pickle would run \(frame lengths disagree/);
  const lz4 = await pickleGate('malicious/lz4.joblib');
  assert.equal(lz4.passed, false);
});
