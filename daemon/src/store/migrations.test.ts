import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, schemaVersion } from './migrations';
import { openDatabase } from './openDatabase';

function tempDb(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlsnap-mig-')), 'store.db');
}

test('a new store is at the latest schema with WAL, foreign keys and synchronous=FULL', () => {
  const db = openDatabase(tempDb());
  assert.equal(schemaVersion(db), LATEST_SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(db.pragma('synchronous', { simple: true }), 2); // FULL
  db.close();
});

test('migration 1 creates the data model and enforces its constraints', () => {
  const db = openDatabase(tempDb(), { migrateTo: 1 });
  assert.equal(schemaVersion(db), 1);
  db.prepare("INSERT INTO blob VALUES ('h1', 3, 3, 'raw', 0)").run();
  db.prepare("INSERT INTO tracked_file (path, kind) VALUES ('a.ipynb', 'notebook')").run();
  db.prepare("INSERT INTO snapshot (id, created_at, trigger) VALUES ('s1', 0, 'watch')").run();
  db.prepare("INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 1, 'h1', 3, 0, 0, 'watch', 's1')").run();
  // A version may not point at a blob that has no row: foreign keys are on.
  assert.throws(() =>
    db.prepare("INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 2, 'nope', 3, 0, 0, 'watch', 's1')").run(),
  /FOREIGN KEY/);
  // Same seq twice for one file is refused.
  assert.throws(() =>
    db.prepare("INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 1, 'h1', 3, 0, 0, 'watch', 's1')").run(),
  /UNIQUE/);
  assert.throws(() => db.prepare("INSERT INTO snapshot (id, created_at, trigger) VALUES ('s2', 0, 'bogus')").run(), /CHECK/);
  db.close();
});

test('migration 2 adds lineage to a store with existing versions, keeping them', () => {
  const file = tempDb();
  const v1 = openDatabase(file, { migrateTo: 1 });
  v1.prepare("INSERT INTO blob VALUES ('h1', 3, 3, 'raw', 0)").run();
  v1.prepare("INSERT INTO tracked_file (path, kind) VALUES ('m.pt', 'model')").run();
  v1.prepare("INSERT INTO snapshot (id, created_at, trigger) VALUES ('s1', 0, 'watch')").run();
  v1.prepare("INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 1, 'h1', 3, 0, 0, 'watch', 's1')").run();
  v1.close();

  const v2 = openDatabase(file, { migrateTo: 2 });
  assert.equal(schemaVersion(v2), 2);
  assert.equal((v2.prepare('SELECT count(*) AS n FROM version').get() as { n: number }).n, 1);
  v2.prepare("INSERT INTO lineage VALUES (1, 'train.ipynb', 'names models/m.pt')").run();
  assert.throws(() => v2.prepare("INSERT INTO lineage VALUES (99, 'x.py', 'r')").run(), /FOREIGN KEY/);
  v2.prepare('DELETE FROM version WHERE id = 1').run();
  assert.equal((v2.prepare('SELECT count(*) AS n FROM lineage').get() as { n: number }).n, 0, 'lineage rows go with their version');
  v2.close();
});

test('a failing migration rolls back whole and leaves the schema version as it was', () => {
  const file = tempDb();
  const db = openDatabase(file, { migrateTo: 1 });
  // Sabotage: make migration 2's CREATE TABLE collide.
  db.exec('CREATE TABLE lineage (x INTEGER)');
  assert.throws(() => openDatabase(file), /already exists/);
  assert.equal(schemaVersion(db), 1);
  db.close();
});

test('a store from a newer mlsnap is refused with a clear message', () => {
  const file = tempDb();
  const db = openDatabase(file);
  db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => openDatabase(file), /newer than this mlsnap understands/);
});

test('migrations are numbered 1..N without gaps', () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.version), MIGRATIONS.map((_, i) => i + 1));
});
