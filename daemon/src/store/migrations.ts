import type BetterSqlite3 from 'better-sqlite3';

type Db = BetterSqlite3.Database;

/**
 * Numbered schema migrations. Each runs in its own transaction and bumps `user_version`,
 * so a crash mid-migration leaves the previous schema intact (the Signal Desktop pattern).
 * Columns are TEXT/INTEGER, never STRING (SQLite would give STRING numeric affinity).
 */
export interface Migration {
  version: number;
  name: string;
  /**
   * Table rebuilds need foreign keys off (DROP TABLE would otherwise cascade into the child
   * tables). The pragma is a no-op inside a transaction, so migrate() turns it off around
   * the migration's transaction and runs foreign_key_check before committing.
   */
  foreignKeysOff?: boolean;
  up(db: Db): void;
}

const m1Initial: Migration = {
  version: 1,
  name: 'initial schema',
  up(db) {
    db.exec(`
      CREATE TABLE blob (
        hash TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        stored_size INTEGER NOT NULL,
        encoding TEXT NOT NULL CHECK (encoding IN ('raw', 'zstd')),
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE tracked_file (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('notebook', 'model', 'metrics', 'other')),
        -- stat fingerprint of the last content we hashed: size, mtime, ctime, inode
        -- (nanoseconds as TEXT: they overflow a double)
        fp_size INTEGER,
        fp_mtime_ns TEXT,
        fp_ctime_ns TEXT,
        fp_ino TEXT,
        fp_hash TEXT,
        -- when the fingerprint was taken: a file modified in the same instant is "racy"
        fp_taken_ns TEXT
      ) STRICT;

      CREATE TABLE environment (
        id INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        json TEXT NOT NULL,
        complete INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE snapshot (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        trigger TEXT NOT NULL CHECK (trigger IN ('watch', 'save', 'manual', 'reconcile')),
        message TEXT,
        git_commit TEXT,
        git_branch TEXT,
        git_dirty INTEGER,
        git_patch_blob TEXT REFERENCES blob(hash),
        git_patch_truncated INTEGER
      ) STRICT;

      CREATE TABLE version (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES tracked_file(id),
        seq INTEGER NOT NULL,
        blob_hash TEXT NOT NULL REFERENCES blob(hash),
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        trigger TEXT NOT NULL CHECK (trigger IN ('watch', 'save', 'manual', 'reconcile')),
        message TEXT,
        snapshot_id TEXT NOT NULL REFERENCES snapshot(id),
        environment_id INTEGER REFERENCES environment(id),
        UNIQUE (file_id, seq)
      ) STRICT;
      CREATE INDEX version_snapshot ON version(snapshot_id);
      CREATE INDEX version_blob ON version(blob_hash);

      CREATE TABLE tag (
        file_id INTEGER NOT NULL REFERENCES tracked_file(id),
        name TEXT NOT NULL,
        version_id INTEGER NOT NULL REFERENCES version(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (file_id, name)
      ) STRICT;
      CREATE INDEX tag_version ON tag(version_id);
    `);
  },
};

const m2Lineage: Migration = {
  version: 2,
  name: 'lineage links from versions to the notebook or script that wrote them',
  up(db) {
    db.exec(`
      CREATE TABLE lineage (
        version_id INTEGER PRIMARY KEY REFERENCES version(id) ON DELETE CASCADE,
        source_path TEXT NOT NULL,
        reason TEXT NOT NULL
      ) STRICT;
      CREATE INDEX lineage_source ON lineage(source_path);
    `);
  },
};

/** The columns of a table rebuilt without CHECK constraints; same names, types and order as before. */
const REBUILT: { table: string; columns: string; indexes: string[] }[] = [
  {
    table: 'blob',
    columns: `
      hash TEXT PRIMARY KEY,
      size INTEGER NOT NULL,
      stored_size INTEGER NOT NULL,
      encoding TEXT NOT NULL,
      created_at INTEGER NOT NULL`,
    indexes: [],
  },
  {
    table: 'tracked_file',
    columns: `
      id INTEGER PRIMARY KEY,
      path TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      fp_size INTEGER,
      fp_mtime_ns TEXT,
      fp_ctime_ns TEXT,
      fp_ino TEXT,
      fp_hash TEXT,
      fp_taken_ns TEXT`,
    indexes: [],
  },
  {
    table: 'snapshot',
    columns: `
      id TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL,
      trigger TEXT NOT NULL,
      message TEXT,
      git_commit TEXT,
      git_branch TEXT,
      git_dirty INTEGER,
      git_patch_blob TEXT REFERENCES blob(hash),
      git_patch_truncated INTEGER`,
    indexes: [],
  },
  {
    table: 'version',
    columns: `
      id INTEGER PRIMARY KEY,
      file_id INTEGER NOT NULL REFERENCES tracked_file(id),
      seq INTEGER NOT NULL,
      blob_hash TEXT NOT NULL REFERENCES blob(hash),
      size INTEGER NOT NULL,
      mtime_ms INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      trigger TEXT NOT NULL,
      message TEXT,
      snapshot_id TEXT NOT NULL REFERENCES snapshot(id),
      environment_id INTEGER REFERENCES environment(id),
      UNIQUE (file_id, seq)`,
    indexes: [
      'CREATE INDEX version_snapshot ON version(snapshot_id)',
      'CREATE INDEX version_blob ON version(blob_hash)',
    ],
  },
];

/** SQLite's 12-step ALTER: a new table, the rows copied over, the old one dropped, the new one renamed into its place. */
function rebuild(db: Db, t: (typeof REBUILT)[number]): void {
  const columns = (db.pragma(`table_info(${t.table})`) as { name: string }[]).map((c) => c.name).join(', ');
  db.exec(`
    CREATE TABLE ${t.table}_new (${t.columns}) STRICT;
    INSERT INTO ${t.table}_new (${columns}) SELECT ${columns} FROM ${t.table};
    DROP TABLE ${t.table};
    ALTER TABLE ${t.table}_new RENAME TO ${t.table};
  `);
  for (const index of t.indexes) db.exec(index);
}

const m3NoEnumChecks: Migration = {
  version: 3,
  name: 'triggers, file kinds and encodings checked in code, not by CHECK constraints',
  foreignKeysOff: true,
  up(db) {
    for (const t of REBUILT) rebuild(db, t);
  },
};

const m4DeletedAndRenamed: Migration = {
  version: 4,
  name: 'deleted files and renames: tracked_file.deleted_at, version.renamed_from',
  up(db) {
    db.exec(`
      ALTER TABLE tracked_file ADD COLUMN deleted_at INTEGER;
      ALTER TABLE version ADD COLUMN renamed_from TEXT;
    `);
  },
};

const m5Remotes: Migration = {
  version: 5,
  name: 'team remotes: version ids, authors, blobs known only remotely, what each remote holds',
  up(db) {
    db.exec(`
      -- A version's id, the same on every machine (v + 16 hex); existing versions get one here.
      ALTER TABLE version ADD COLUMN uid TEXT;
      UPDATE version SET uid = 'v' || lower(hex(randomblob(8))) WHERE uid IS NULL;
      CREATE UNIQUE INDEX version_uid ON version(uid);
      -- Who recorded a version pulled from a remote (NULL: recorded by this project).
      ALTER TABLE version ADD COLUMN author TEXT;
      ALTER TABLE version ADD COLUMN host TEXT;
      ALTER TABLE version ADD COLUMN origin TEXT;
      -- 0: the blob is known from a remote's history and fetched when first read.
      ALTER TABLE blob ADD COLUMN here INTEGER NOT NULL DEFAULT 1;

      CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      INSERT INTO store_meta (key, value) VALUES ('writer', lower(hex(randomblob(8))));

      CREATE TABLE remote (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        settings TEXT NOT NULL,
        is_default INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      -- What each remote is known to hold: checked against it by \`remote check\`, a hint elsewhere.
      CREATE TABLE remote_blob (
        remote TEXT NOT NULL REFERENCES remote(name) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        PRIMARY KEY (remote, hash)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE remote_version (
        remote TEXT NOT NULL REFERENCES remote(name) ON DELETE CASCADE,
        version_id INTEGER NOT NULL REFERENCES version(id) ON DELETE CASCADE,
        -- The blob pushed for it when it differs from the version's own (outputs stripped).
        pushed_blob TEXT,
        -- Finding ids the user accepted for this push (JSON array).
        allowed TEXT,
        PRIMARY KEY (remote, version_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX remote_version_version ON remote_version(version_id);
      -- History objects already imported from a remote.
      CREATE TABLE remote_history (
        remote TEXT NOT NULL REFERENCES remote(name) ON DELETE CASCADE,
        key TEXT NOT NULL,
        PRIMARY KEY (remote, key)
      ) STRICT, WITHOUT ROWID;
      -- Unfinished resumable uploads (S3 UploadId and parts, Azure blocks, folder .part).
      CREATE TABLE remote_upload (
        remote TEXT NOT NULL REFERENCES remote(name) ON DELETE CASCADE,
        key TEXT NOT NULL,
        state TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (remote, key)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};

const m6Runs: Migration = {
  version: 6,
  name: 'runs: each `mlsnap run` with its command, interpreter and outcome; version.run_id',
  up(db) {
    db.exec(`
      CREATE TABLE run (
        id TEXT PRIMARY KEY,
        -- JSON array of the command's argv.
        argv TEXT NOT NULL,
        cwd TEXT NOT NULL,
        executable TEXT,
        interpreter_detail TEXT,
        -- The \`mlsnap run\` process, so a run whose CLI died is known to be over.
        pid INTEGER,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        exit_code INTEGER,
        signal TEXT,
        -- The last lines of what it printed (stdout and stderr as they came).
        output_tail TEXT
      ) STRICT;
      -- The run whose command wrote the version (NULL: no run, or recorded before runs existed).
      ALTER TABLE version ADD COLUMN run_id TEXT REFERENCES run(id) ON DELETE SET NULL;
      CREATE INDEX version_run ON version(run_id) WHERE run_id IS NOT NULL;
    `);
  },
};

const m7RunDetails: Migration = {
  version: 7,
  name: 'runs of notebooks too: kind, source, parameters, git; the metrics each run logged, with their series',
  up(db) {
    db.exec(`
      -- 'command': an \`mlsnap run\`; 'notebook': one execution of a notebook, inferred from its versions.
      ALTER TABLE run ADD COLUMN kind TEXT NOT NULL DEFAULT 'command';
      -- The notebook or script it ran (project-relative), and the version of it that ran.
      ALTER TABLE run ADD COLUMN source_path TEXT;
      ALTER TABLE run ADD COLUMN source_version_id INTEGER REFERENCES version(id) ON DELETE SET NULL;
      -- JSON: RunParam[] (parsed from code and command lines, never executed) and GitState.
      ALTER TABLE run ADD COLUMN params TEXT;
      ALTER TABLE run ADD COLUMN git TEXT;
      -- JSON: the run's final metric values, kept from run_metric so a listing reads one row a run.
      ALTER TABLE run ADD COLUMN metrics TEXT;
      CREATE INDEX run_source ON run(source_path, started_at);
      -- One row per metric a run logged: its final value, for tables and comparisons.
      CREATE TABLE run_metric (
        run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        -- The file it was read from, and in which format.
        source TEXT NOT NULL,
        format TEXT NOT NULL,
        -- NULL: the last value was NaN or infinite.
        final REAL,
        points INTEGER NOT NULL,
        PRIMARY KEY (run_id, name)
      ) STRICT, WITHOUT ROWID;
      -- The logged values of a metric over steps (charts), apart so listing runs never reads them.
      CREATE TABLE run_series (
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (run_id, name),
        FOREIGN KEY (run_id, name) REFERENCES run_metric(run_id, name) ON DELETE CASCADE
      ) STRICT;
    `);
  },
};

export const MIGRATIONS: readonly Migration[] = [
  m1Initial,
  m2Lineage,
  m3NoEnumChecks,
  m4DeletedAndRenamed,
  m5Remotes,
  m6Runs,
  m7RunDetails,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Bring `db` up to `target` (default: latest). Refuses a store written by a newer mlsnap. */
export function migrate(db: Db, target: number = LATEST_SCHEMA_VERSION): number {
  const current = schemaVersion(db);
  if (current > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `store schema ${current} is newer than this mlsnap understands (${LATEST_SCHEMA_VERSION}); upgrade mlsnap`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    if (m.foreignKeysOff) withForeignKeysOff(db, () => runMigration(db, m));
    else runMigration(db, m);
  }
  return schemaVersion(db);
}

function runMigration(db: Db, m: Migration): void {
  db.transaction(() => {
    m.up(db);
    if (m.foreignKeysOff) assertForeignKeys(db, m);
    db.pragma(`user_version = ${m.version}`);
  })();
}

function withForeignKeysOff(db: Db, fn: () => void): void {
  const was = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    fn();
  } finally {
    db.pragma(`foreign_keys = ${was ? 'ON' : 'OFF'}`);
  }
}

/** With the checks off, nothing stopped a rebuild from losing a parent row: refuse to commit if one did. */
function assertForeignKeys(db: Db, m: Migration): void {
  const broken = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
  if (broken.length > 0) {
    const first = broken[0] as { table: string; rowid: number; parent: string };
    throw new Error(
      `migration ${m.version} (${m.name}) broke ${broken.length} foreign key(s), e.g. ${first.table} row ${first.rowid} → ${first.parent}`,
    );
  }
}
