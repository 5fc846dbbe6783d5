import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate, schemaVersion } from './migrations';
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
  db.prepare(
    "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 1, 'h1', 3, 0, 0, 'watch', 's1')",
  ).run();
  // A version may not point at a blob that has no row: foreign keys are on.
  assert.throws(
    () =>
      db
        .prepare(
          "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 2, 'nope', 3, 0, 0, 'watch', 's1')",
        )
        .run(),
    /FOREIGN KEY/,
  );
  // Same seq twice for one file is refused.
  assert.throws(
    () =>
      db
        .prepare(
          "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 1, 'h1', 3, 0, 0, 'watch', 's1')",
        )
        .run(),
    /UNIQUE/,
  );
  assert.throws(
    () => db.prepare("INSERT INTO snapshot (id, created_at, trigger) VALUES ('s2', 0, 'bogus')").run(),
    /CHECK/,
  );
  db.close();
});

test('migration 2 adds lineage to a store with existing versions, keeping them', () => {
  const file = tempDb();
  const v1 = openDatabase(file, { migrateTo: 1 });
  v1.prepare("INSERT INTO blob VALUES ('h1', 3, 3, 'raw', 0)").run();
  v1.prepare("INSERT INTO tracked_file (path, kind) VALUES ('m.pt', 'model')").run();
  v1.prepare("INSERT INTO snapshot (id, created_at, trigger) VALUES ('s1', 0, 'watch')").run();
  v1.prepare(
    "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 1, 'h1', 3, 0, 0, 'watch', 's1')",
  ).run();
  v1.close();

  const v2 = openDatabase(file, { migrateTo: 2 });
  assert.equal(schemaVersion(v2), 2);
  assert.equal((v2.prepare('SELECT count(*) AS n FROM version').get() as { n: number }).n, 1);
  v2.prepare("INSERT INTO lineage VALUES (1, 'train.ipynb', 'names models/m.pt')").run();
  assert.throws(() => v2.prepare("INSERT INTO lineage VALUES (99, 'x.py', 'r')").run(), /FOREIGN KEY/);
  v2.prepare('DELETE FROM version WHERE id = 1').run();
  assert.equal(
    (v2.prepare('SELECT count(*) AS n FROM lineage').get() as { n: number }).n,
    0,
    'lineage rows go with their version',
  );
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
  assert.deepEqual(
    MIGRATIONS.map((m) => m.version),
    MIGRATIONS.map((_, i) => i + 1),
  );
});

/** A v2 store holding a row in every table, each foreign key in use. */
function v2Store(): string {
  const file = tempDb();
  const db = openDatabase(file, { migrateTo: 2 });
  db.exec(`
    INSERT INTO blob VALUES ('h1', 3, 3, 'raw', 0), ('p1', 9, 5, 'zstd', 0);
    INSERT INTO tracked_file (path, kind, fp_size, fp_mtime_ns, fp_ctime_ns, fp_ino, fp_hash, fp_taken_ns)
      VALUES ('m.pt', 'model', 3, '1700000000123456789', '1700000000123456789', '42', 'h1', '1700000001000000000');
    INSERT INTO environment (hash, json, complete, created_at) VALUES ('e1', '{"lockfiles":[]}', 1, 0);
    INSERT INTO snapshot (id, created_at, trigger, message, git_commit, git_branch, git_dirty, git_patch_blob, git_patch_truncated)
      VALUES ('s1', 5, 'manual', 'first', 'abc', 'main', 1, 'p1', 0);
    INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, message, snapshot_id, environment_id)
      VALUES (1, 1, 'h1', 3, 7, 5, 'manual', 'first', 's1', 1);
    INSERT INTO tag (file_id, name, version_id, created_at) VALUES (1, 'best', 1, 0);
    INSERT INTO lineage VALUES (1, 'train.ipynb', 'names models/m.pt');
  `);
  db.close();
  return file;
}

const TABLES = ['blob', 'tracked_file', 'environment', 'snapshot', 'version', 'tag', 'lineage'];

function dump(db: ReturnType<typeof openDatabase>): Record<string, unknown[]> {
  return Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()]));
}

test('migration 3 drops the CHECK constraints on kinds, triggers and encodings, keeping every row and key', () => {
  const file = v2Store();
  const v2 = openDatabase(file, { migrateTo: 2 });
  const before = dump(v2);
  v2.close();

  const db = openDatabase(file, { migrateTo: 3 });
  assert.equal(schemaVersion(db), 3);
  assert.deepEqual(dump(db), before, 'every row survives, column for column');
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are on again');
  const schema = db.prepare('SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL').all() as {
    name: string;
    sql: string;
  }[];
  assert.deepEqual(
    schema.filter((s) => /CHECK/i.test(s.sql)).map((s) => s.name),
    [],
  );
  assert.deepEqual(
    schema
      .filter((s) => s.name.startsWith('version_'))
      .map((s) => s.name)
      .sort(),
    ['version_blob', 'version_snapshot'],
  );

  // A new trigger, kind or encoding is now the code's decision, not the schema's.
  db.prepare("INSERT INTO snapshot (id, created_at, trigger) VALUES ('s2', 0, 'restore')").run();
  db.prepare("INSERT INTO tracked_file (path, kind) VALUES ('d.parquet', 'dataset')").run();
  db.prepare("INSERT INTO blob VALUES ('h2', 1, 1, 'lz4', 0)").run();
  db.prepare(
    "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (2, 1, 'h2', 1, 0, 0, 'restore', 's2')",
  ).run();

  // The foreign keys still hold, and still point at the rebuilt tables.
  assert.throws(
    () =>
      db
        .prepare(
          "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 2, 'nope', 3, 0, 0, 'watch', 's1')",
        )
        .run(),
    /FOREIGN KEY/,
  );
  assert.throws(
    () =>
      db
        .prepare("INSERT INTO snapshot (id, created_at, trigger, git_patch_blob) VALUES ('s3', 0, 'watch', 'nope')")
        .run(),
    /FOREIGN KEY/,
  );
  assert.throws(
    () => db.prepare("INSERT INTO tag (file_id, name, version_id, created_at) VALUES (1, 'x', 99, 0)").run(),
    /FOREIGN KEY/,
  );
  assert.throws(
    () =>
      db
        .prepare(
          "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 1, 'h1', 3, 0, 0, 'watch', 's1')",
        )
        .run(),
    /UNIQUE/,
  );
  db.prepare('DELETE FROM version WHERE id = 1').run();
  assert.equal(
    (db.prepare('SELECT count(*) AS n FROM tag').get() as { n: number }).n,
    0,
    'tags still go with their version',
  );
  assert.equal(
    (db.prepare('SELECT count(*) AS n FROM lineage').get() as { n: number }).n,
    0,
    'lineage still goes with its version',
  );
  assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  db.close();
});

test('migration 3 refuses to commit a rebuild that leaves a dangling foreign key, and turns the checks back on', () => {
  const file = v2Store();
  const v2 = openDatabase(file, { migrateTo: 2 });
  // A row that only a store with its checks off could hold.
  v2.pragma('foreign_keys = OFF');
  v2.prepare(
    "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 2, 'gone', 3, 0, 0, 'watch', 's1')",
  ).run();
  v2.close();
  const db = openDatabase(file, { migrateTo: 2 });
  assert.throws(() => migrate(db), /migration 3 .* broke 1 foreign key/);
  assert.equal(schemaVersion(db), 2, 'still the old schema');
  assert.throws(
    () => db.prepare("INSERT INTO snapshot (id, created_at, trigger) VALUES ('s9', 0, 'restore')").run(),
    /CHECK/,
  );
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  db.close();
});

test('migration 4 adds deleted_at and renamed_from to a store with versions, keeping them', () => {
  const file = tempDb();
  const v3 = openDatabase(file, { migrateTo: 3 });
  v3.prepare("INSERT INTO blob VALUES ('h1', 3, 3, 'raw', 0)").run();
  v3.prepare("INSERT INTO tracked_file (path, kind) VALUES ('a.pt', 'model')").run();
  v3.prepare("INSERT INTO snapshot (id, created_at, trigger) VALUES ('s1', 0, 'watch')").run();
  v3.prepare(
    "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, 1, 'h1', 3, 0, 0, 'watch', 's1')",
  ).run();
  v3.close();
  const db = openDatabase(file, { migrateTo: 4 });
  assert.equal(schemaVersion(db), 4);
  const f = db.prepare('SELECT path, deleted_at FROM tracked_file').get() as {
    path: string;
    deleted_at: number | null;
  };
  assert.deepEqual(f, { path: 'a.pt', deleted_at: null });
  const v = db.prepare('SELECT seq, renamed_from FROM version').get() as { seq: number; renamed_from: string | null };
  assert.deepEqual(v, { seq: 1, renamed_from: null });
  db.prepare("UPDATE tracked_file SET deleted_at = 5 WHERE path = 'a.pt'").run();
  assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  db.close();
});

test('migration 5 gives existing versions distinct ids and adds the remote tables with their keys', () => {
  const file = tempDb();
  const v4 = openDatabase(file, { migrateTo: 4 });
  v4.prepare("INSERT INTO blob VALUES ('h1', 3, 3, 'raw', 0)").run();
  v4.prepare("INSERT INTO tracked_file (path, kind) VALUES ('a.pt', 'model')").run();
  v4.prepare("INSERT INTO snapshot (id, created_at, trigger) VALUES ('s1', 0, 'watch')").run();
  for (const seq of [1, 2]) {
    v4.prepare(
      "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id) VALUES (1, ?, 'h1', 3, 0, 0, 'watch', 's1')",
    ).run(seq);
  }
  v4.close();
  const db = openDatabase(file, { migrateTo: 5 });
  assert.equal(schemaVersion(db), 5);
  const uids = (
    db.prepare('SELECT uid, origin FROM version ORDER BY seq').all() as { uid: string; origin: null }[]
  ).map((r) => r.uid);
  assert.equal(uids.length, 2);
  for (const uid of uids) assert.match(uid, /^v[0-9a-f]{16}$/);
  assert.notEqual(uids[0], uids[1]);
  assert.throws(() => db.prepare('UPDATE version SET uid = ? WHERE seq = 2').run(uids[0]), /UNIQUE/);
  assert.equal(
    (db.prepare('SELECT here FROM blob').get() as { here: number }).here,
    1,
    'blobs already stored are here',
  );
  const writer = db.prepare("SELECT value FROM store_meta WHERE key = 'writer'").get() as { value: string };
  assert.match(writer.value, /^[0-9a-f]{16}$/);
  assert.throws(
    () => db.prepare("INSERT INTO remote_version (remote, version_id) VALUES ('nowhere', 1)").run(),
    /FOREIGN KEY/,
  );
  db.prepare("INSERT INTO remote VALUES ('origin', 's3://b', '{}', 1, 0)").run();
  db.prepare("INSERT INTO remote_version (remote, version_id) VALUES ('origin', 1)").run();
  db.prepare("INSERT INTO remote_blob (remote, hash) VALUES ('origin', 'h1')").run();
  db.prepare("DELETE FROM remote WHERE name = 'origin'").run();
  assert.equal((db.prepare('SELECT count(*) AS n FROM remote_version').get() as { n: number }).n, 0);
  assert.equal((db.prepare('SELECT count(*) AS n FROM remote_blob').get() as { n: number }).n, 0);
  assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  db.close();
});

test('migration 6 adds runs to a store with versions; a version points at its run, and forgets it when the run goes', () => {
  const file = tempDb();
  const v5 = openDatabase(file, { migrateTo: 5 });
  v5.prepare("INSERT INTO blob VALUES ('h1', 3, 3, 'raw', 0, 1)").run();
  v5.prepare("INSERT INTO tracked_file (path, kind) VALUES ('m.pt', 'model')").run();
  v5.prepare("INSERT INTO snapshot (id, created_at, trigger) VALUES ('s1', 0, 'watch')").run();
  v5.prepare(
    "INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, snapshot_id, uid) VALUES (1, 1, 'h1', 3, 0, 0, 'watch', 's1', 'v0000000000000001')",
  ).run();
  v5.close();
  const db = openDatabase(file, { migrateTo: 6 });
  assert.equal(schemaVersion(db), 6);
  assert.equal((db.prepare('SELECT run_id FROM version').get() as { run_id: null }).run_id, null, 'kept, with no run');
  assert.throws(() => db.prepare("UPDATE version SET run_id = 'rnowhere'").run(), /FOREIGN KEY/);
  db.prepare(
    `INSERT INTO run (id, argv, cwd, executable, interpreter_detail, started_at) VALUES ('r1', '["python","t.py"]', '/p', '/p/.venv/bin/python', 'PATH', 5)`,
  ).run();
  db.prepare("UPDATE version SET run_id = 'r1'").run();
  db.prepare("UPDATE run SET finished_at = 9, exit_code = 0, output_tail = 'done' WHERE id = 'r1'").run();
  assert.deepEqual(db.prepare('SELECT exit_code, output_tail FROM run').get(), { exit_code: 0, output_tail: 'done' });
  db.prepare("DELETE FROM run WHERE id = 'r1'").run();
  assert.equal((db.prepare('SELECT run_id FROM version').get() as { run_id: null }).run_id, null);
  assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  db.close();
});

test('migration 7 gives runs a kind, a source and parameters, and adds their metrics with series that go with the run', () => {
  const file = tempDb();
  const v6 = openDatabase(file, { migrateTo: 6 });
  v6.prepare(
    `INSERT INTO run (id, argv, cwd, executable, interpreter_detail, pid, started_at) VALUES ('r1', '["python"]', '/p', NULL, NULL, NULL, 5)`,
  ).run();
  v6.close();
  const db = openDatabase(file, { migrateTo: 7 });
  assert.equal(schemaVersion(db), 7);
  assert.deepEqual(db.prepare('SELECT kind, source_path, params FROM run').get(), {
    kind: 'command',
    source_path: null,
    params: null,
  });
  db.prepare("INSERT INTO run_metric VALUES ('r1', 'loss', 'metrics.csv', 'csv', 0.5, 3)").run();
  db.prepare("INSERT INTO run_series VALUES ('r1', 'loss', x'00')").run();
  assert.throws(() => db.prepare("INSERT INTO run_series VALUES ('r1', 'acc', x'00')").run(), /FOREIGN KEY/);
  assert.throws(() => db.prepare("INSERT INTO run_metric VALUES ('r9', 'x', 's', 'csv', 1, 1)").run(), /FOREIGN KEY/);
  db.prepare("DELETE FROM run WHERE id = 'r1'").run();
  assert.equal((db.prepare('SELECT count(*) AS n FROM run_series').get() as { n: number }).n, 0);
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  db.close();
});
