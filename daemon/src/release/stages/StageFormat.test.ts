import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { MlsnapError } from '../../../../shared/src/errors';
import type { AuditRecord, StagePointer, StagePolicy } from '../../../../shared/src/release';
import {
  assertModelPath,
  assertStageName,
  auditKey,
  decodeAudit,
  decodePointer,
  decodePolicy,
  encodeObject,
  isAuditKey,
  parseAuditKey,
  parsePointerKey,
  pointerKey,
} from './StageFormat';

const MODEL = 'models/mlp.pt';
const HASH = 'ab'.repeat(32);
const SHA = 'cd'.repeat(32);

function record(over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    format: 'mlsnap-audit',
    version: 1,
    model: MODEL,
    stage: 'production',
    action: 'promote',
    from: null,
    to: 'v0123456789abcdef',
    author: 'alice',
    host: 'laptop',
    at: 1796171600000,
    reason: 'first',
    gates: [{ gate: 'pickle', passed: true, message: 'fine' }],
    forced: false,
    previous: null,
    ...over,
  };
}

/** A record as writeAudit stores it: its key made from its bytes. */
function stored(r: AuditRecord): { key: string; bytes: Buffer } {
  const bytes = encodeObject(r);
  return { key: auditKey(r, bytes), bytes };
}

const AUDIT = stored(record()).key;

function pointer(over: Partial<StagePointer> = {}, target: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'mlsnap-stage',
    version: 1,
    model: MODEL,
    stage: 'production',
    target: {
      versionId: 'v0123456789abcdef',
      object: { key: `data/ab/${HASH}`, url: `s3://b/p/data/ab/${HASH}`, size: 10, sha256: SHA, blake3: HASH },
      modelFormat: 'pytorch',
      createdAt: 1796171502198,
      author: 'alice',
      environment: { python: '3.11.2', cuda: null, pins: ['torch==2.1.0'], complete: true },
      run: { id: 'r1', params: { HIDDEN: 32 }, metrics: { val_loss: 0.25 } },
      estimate: {
        format: 'pytorch',
        parameters: 2410,
        weightBytes: 9640,
        bytesByDtype: { float32: 9640 },
        servingBytes: 1,
        gpuBytes: 2,
        basis: 'stated',
      },
      ...target,
    },
    movedBy: 'alice',
    host: 'laptop',
    movedAt: 1796171600000,
    reason: null,
    audit: AUDIT,
    ...over,
  };
}

const KEY = pointerKey(MODEL, 'production');
const bytesOf = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

function refuses(fn: () => unknown, why: RegExp, key = KEY): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MlsnapError, String(e));
    assert.equal(e.kind, 'remote');
    assert.ok(e.message.includes(`the remote's ${key} was refused`), e.message);
    assert.match(e.message, why);
    return true;
  });
}

describe('model paths and stage names', () => {
  test('project-relative paths of key characters are accepted', () => {
    for (const ok of ['models/mlp.pt', 'm.pkl', 'a_b-c.d/E9/x.safetensors', 'models/v1..2.pt'])
      assert.doesNotThrow(() => assertModelPath(ok), ok);
  });

  test('anything that could leave the stage folder or is not a key is refused, naming the path and the fix', () => {
    for (const bad of [
      '',
      '../x.pt',
      'models/../x.pt',
      './x.pt',
      '/abs/x.pt',
      'models//x.pt',
      'models/.hidden.pt',
      'models/',
      'models/a b.pt',
      'models/ü.pt',
      'models\\x.pt',
      'models/x.pt\n',
      'models/x.pt/',
      'x'.repeat(1100),
    ]) {
      assert.throws(
        () => assertModelPath(bad),
        (e: unknown) => e instanceof MlsnapError && e.kind === 'bad-request' && /rename it/.test(e.message),
        JSON.stringify(bad),
      );
    }
  });

  test('stage names: lower-case, at most 64, no leading punctuation', () => {
    for (const ok of ['production', 'canary-2', 'v1.0', 'a', 'x'.repeat(64), 'constructor'])
      assert.doesNotThrow(() => assertStageName(ok), ok);
    for (const bad of ['', 'Prod', 'prod!', '-x', '.x', '_x', 'x'.repeat(65), 'a/b', '../x', 'a b'])
      assert.throws(() => assertStageName(bad), { name: 'MlsnapError' }, JSON.stringify(bad));
  });
});

describe('keys', () => {
  test('pointer keys: the last name is the stage, everything before it the model', () => {
    assert.deepEqual(parsePointerKey('stages/models/mlp.pt/production.json'), { model: MODEL, stage: 'production' });
    assert.deepEqual(parsePointerKey('stages/a/b/c.pt/v1.0.json'), { model: 'a/b/c.pt', stage: 'v1.0' });
    assert.deepEqual(parsePointerKey(pointerKey(MODEL, 'canary-2')), { model: MODEL, stage: 'canary-2' });
  });

  test('keys that are not pointers (a file left by hand on a share) are not parsed as one', () => {
    for (const k of [
      'stages/production.json',
      'stages/models/mlp.pt/Production.json',
      'stages/models/mlp.pt/production.txt',
      'stages/models/a b.pt/production.json',
      'stages/models/.hidden/production.json',
      'stages/../x/production.json',
      'stages//production.json',
      'history/models/mlp.pt/production.json',
    ])
      assert.equal(parsePointerKey(k), null, k);
  });

  test('audit keys: model, stage, time and hash; the stage is the last folder', () => {
    assert.deepEqual(parseAuditKey(`audit/models/mlp.pt/production/1796171600000-0123456789abcdef.json`), {
      model: MODEL,
      stage: 'production',
      at: 1796171600000,
      h16: '0123456789abcdef',
    });
    assert.equal(parseAuditKey(AUDIT)?.model, MODEL);
    assert.ok(AUDIT.startsWith('audit/models/mlp.pt/production/1796171600000-'));
    for (const k of [
      'audit/models/a b.pt/production/1796171600000-0123456789abcdef.json',
      'audit/models/.x/production/1796171600000-0123456789abcdef.json',
      'audit/models/mlp.pt/Production/1796171600000-0123456789abcdef.json',
      'audit/models/mlp.pt/production/179617160000-0123456789abcdef.json',
      'audit/models/mlp.pt/production/1796171600000-0123456789ABCDEF.json',
      'audit/production/1796171600000-0123456789abcdef.json',
      'stages/models/mlp.pt/production/1796171600000-0123456789abcdef.json',
    ])
      assert.equal(isAuditKey(k), false, k);
  });
});

describe('decodePointer', () => {
  test('a pointer as promote writes it is read back whole', () => {
    const p = pointer();
    assert.deepEqual(decodePointer(KEY, bytesOf(p)), p);
    const demoted = pointer({ target: null });
    assert.equal(decodePointer(KEY, bytesOf(demoted)).target, null);
  });

  test('not JSON, not an object, another format: refused, naming the key and the fix', () => {
    refuses(() => decodePointer(KEY, Buffer.from('{"format":')), /not a JSON object; delete that pointer/);
    refuses(() => decodePointer(KEY, bytesOf([pointer()])), /not a JSON object/);
    refuses(() => decodePointer(KEY, bytesOf('x')), /not a JSON object/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({ version: 2 as 1 }))), /format 1/);
    refuses(() => decodePointer(KEY, bytesOf({ ...pointer(), format: 'mlsnap-audit' })), /format 1/);
  });

  test('a pointer copied under another stage or model is refused', () => {
    refuses(() => decodePointer(KEY, bytesOf(pointer({ stage: 'staging' }))), /names another stage/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({ model: 'models/other.pt' }))), /names another stage/);
    const odd = 'stages/models/a b.pt/production.json';
    refuses(() => decodePointer(odd, bytesOf(pointer({ model: 'models/a b.pt' }))), /names another stage/, odd);
  });

  test('an audit key of another stage, or of a model that only shares the prefix, is refused', () => {
    const other = stored(record({ stage: 'staging' })).key;
    refuses(() => decodePointer(KEY, bytesOf(pointer({ audit: other }))), /audit key is not one of this stage's/);
    const bak = stored(record({ model: 'models/mlp.pt.bak' })).key;
    refuses(() => decodePointer(KEY, bytesOf(pointer({ audit: bak }))), /audit key/);
    const sub = AUDIT.replace('audit/models/mlp.pt/production/', 'audit/models/mlp.pt/production/x/');
    refuses(() => decodePointer(KEY, bytesOf(pointer({ audit: sub }))), /audit key/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({ audit: 'policy.json' }))), /audit key/);
  });

  test('the object key must be exactly the raw data key of its blake3', () => {
    const withKey = (key: unknown, blake3: unknown = HASH): Buffer =>
      bytesOf(pointer({}, { object: { key, url: 'x', size: 10, sha256: SHA, blake3 } }));
    refuses(() => decodePointer(KEY, withKey(`data/ab/${HASH}.zst`)), /raw key of its blake3/);
    refuses(() => decodePointer(KEY, withKey(`data/00/${HASH}`)), /raw key of its blake3/);
    refuses(() => decodePointer(KEY, withKey(`data/ab/${'ef'.repeat(32)}`)), /raw key of its blake3/);
    refuses(() => decodePointer(KEY, withKey(`../data/ab/${HASH}`)), /raw key of its blake3/);
    refuses(() => decodePointer(KEY, withKey(`history/ab/${HASH}`)), /raw key of its blake3/);
    refuses(() => decodePointer(KEY, withKey(`data/ab/${HASH}`, HASH.toUpperCase())), /blake3 is not 64 hex/);
    refuses(() => decodePointer(KEY, withKey(42)), /raw key/);
  });

  test('a URL pointing anywhere is kept as text: readers use the key, never the URL', () => {
    const p = pointer(
      {},
      { object: { key: `data/ab/${HASH}`, url: 'https://evil.example/x', size: 10, sha256: SHA, blake3: HASH } },
    );
    assert.equal(decodePointer(KEY, bytesOf(p)).target?.object.key, `data/ab/${HASH}`);
  });

  test('sizes, hashes, ids and times of the wrong shape are refused', () => {
    const object = (o: Record<string, unknown>): Buffer =>
      bytesOf(pointer({}, { object: { key: `data/ab/${HASH}`, url: 'u', size: 10, sha256: SHA, blake3: HASH, ...o } }));
    refuses(() => decodePointer(KEY, object({ size: -1 })), /size or URL/);
    refuses(() => decodePointer(KEY, object({ size: 1.5 })), /size or URL/);
    refuses(() => decodePointer(KEY, object({ size: '10' })), /size or URL/);
    refuses(() => decodePointer(KEY, object({ url: null })), /size or URL/);
    refuses(() => decodePointer(KEY, object({ sha256: 'ab' })), /sha256/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({}, { versionId: 'v123' }))), /version id/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({}, { object: null }))), /names no object/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({ target: 'v0123456789abcdef' as never }))), /version id/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({ movedAt: -5 }))), /who moved it/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({ reason: 3 as never }))), /reason/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({}, { createdAt: 'yesterday' }))), /creation time/);
  });

  test('metrics the metric gate compares must be numbers; estimate and environment must have their shape', () => {
    const run = (metrics: unknown): Buffer => bytesOf(pointer({}, { run: { id: 'r1', params: {}, metrics } }));
    refuses(() => decodePointer(KEY, run({ val_loss: '0.1' })), /metrics must be numbers/);
    refuses(() => decodePointer(KEY, run({ val_loss: null })), /metrics must be numbers/);
    refuses(() => decodePointer(KEY, run({ val_loss: { valueOf: 1 } })), /metrics must be numbers/);
    refuses(() => decodePointer(KEY, run([0.1])), /run is malformed/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({}, { run: 'r1' }))), /run is malformed/);
    refuses(() => decodePointer(KEY, bytesOf(pointer({}, { estimate: 'huge' }))), /estimate is malformed/);
    refuses(
      () => decodePointer(KEY, bytesOf(pointer({}, { estimate: { format: 'x', parameters: 'many' } }))),
      /estimate is malformed/,
    );
    refuses(
      () => decodePointer(KEY, bytesOf(pointer({}, { environment: { python: 3, pins: [], complete: true } }))),
      /environment is malformed/,
    );
    refuses(
      () =>
        decodePointer(
          KEY,
          bytesOf(pointer({}, { environment: { python: null, cuda: null, pins: [1], complete: true } })),
        ),
      /environment is malformed/,
    );
    // Absent parts are null, as promote writes them.
    assert.doesNotThrow(() =>
      decodePointer(KEY, bytesOf(pointer({}, { run: null, estimate: null, environment: null, author: null }))),
    );
  });
});

describe('decodeAudit', () => {
  test('a record as writeAudit stores it is read back whole', () => {
    const { key, bytes } = stored(record({ previous: AUDIT, from: 'v0123456789abcdef', at: 1796171700000 }));
    assert.equal(decodeAudit(key, bytes).previous, AUDIT);
  });

  test('a record edited by hand, or under a key that is not its own, is refused', () => {
    const { key, bytes } = stored(record());
    const edited = Buffer.from(bytes.toString().replace('"first"', '"nothing to see"'));
    refuses(() => decodeAudit(key, edited), /does not match its time and bytes/, key);
    const otherTime = stored(record({ at: 1796171600001 }));
    const moved = key.replace(/\/\d{13}-/, `/${1796171600001}-`);
    assert.notEqual(moved, otherTime.key);
    refuses(() => decodeAudit(moved, bytes), /does not match its time and bytes/, moved);
  });

  test('a record claiming a model and stage its key does not name is refused', () => {
    // `audit/models/mlp.pt/production/…` starts with the prefix of model "models", stage "mlp.pt".
    const r = record({ model: 'models', stage: 'mlp.pt' });
    const bytes = encodeObject(r);
    const h16 = new Blake3Hasher().update(bytes).digest('hex').slice(0, 16);
    const key = `audit/models/mlp.pt/production/${r.at}-${h16}.json`;
    refuses(() => decodeAudit(key, bytes), /names another stage/, key);
    refuses(() => decodeAudit('audit/x.json', bytes), /names another stage/, 'audit/x.json');
  });

  test('previous must be a record of the same stage; versions must be version ids', () => {
    const cross = stored(record({ previous: stored(record({ stage: 'staging' })).key }));
    refuses(() => decodeAudit(cross.key, cross.bytes), /previous record is not one of this stage's/, cross.key);
    const junk = stored(record({ previous: 'stages/models/mlp.pt/production.json' }));
    refuses(() => decodeAudit(junk.key, junk.bytes), /previous record/, junk.key);
    const num = stored(record({ previous: 7 as never }));
    refuses(() => decodeAudit(num.key, num.bytes), /previous record/, num.key);
    const bad = stored(record({ to: '../../etc' }));
    refuses(() => decodeAudit(bad.key, bad.bytes), /versions are malformed/, bad.key);
    const gates = stored(record({ gates: [{ gate: 'pickle', passed: 'yes' } as never] }));
    refuses(() => decodeAudit(gates.key, gates.bytes), /gate results/, gates.key);
    const action = stored(record({ action: 'delete' as never }));
    refuses(() => decodeAudit(action.key, action.bytes), /action/, action.key);
  });

  test('a refused record says how to repair it, not to demote', () => {
    const { key, bytes } = stored(record());
    refuses(() => decodeAudit(key, Buffer.from(`${bytes.toString()}x`)), /restore that record from a backup/, key);
  });
});

describe('decodePolicy', () => {
  const policy = (stages: unknown): Buffer => bytesOf({ format: 'mlsnap-policy', version: 1, stages });

  test('a policy as protect writes it is read back', () => {
    const p: StagePolicy = { format: 'mlsnap-policy', version: 1, stages: { production: { authors: ['alice'] } } };
    assert.deepEqual(decodePolicy(encodeObject(p)), p);
  });

  test('malformed policies are refused, naming policy.json and how to fix it', () => {
    const key = 'policy.json';
    refuses(() => decodePolicy(Buffer.from('nope')), /not a JSON object; fix or delete policy\.json/, key);
    refuses(() => decodePolicy(bytesOf({ format: 'mlsnap-policy', version: 2, stages: {} })), /format 1/, key);
    refuses(() => decodePolicy(policy([])), /format 1/, key);
    refuses(() => decodePolicy(policy({ Production: { authors: ['a'] } })), /rule for Production/, key);
    refuses(() => decodePolicy(policy({ production: { authors: 'alice' } })), /rule for production/, key);
    refuses(() => decodePolicy(policy({ production: { authors: [1] } })), /rule for production/, key);
    refuses(() => decodePolicy(policy({ production: null })), /rule for production/, key);
    refuses(
      () => decodePolicy(Buffer.from('{"format":"mlsnap-policy","version":1,"stages":{"__proto__":{"authors":[]}}}')),
      /rule for __proto__/,
      key,
    );
  });
});
