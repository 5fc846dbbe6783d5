import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from './cli';
import { COMMANDS } from './program';

// Not a project, and no daemon.json in its home: nothing here can reach a daemon.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsnap-cli-unit-'));

/** main() in-process; usage errors and help never reach the daemon, so none is needed. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { stdout: '', stderr: '' };
  out.on('data', (d: Buffer) => (chunks.stdout += d.toString()));
  err.on('data', (d: Buffer) => (chunks.stderr += d.toString()));
  const code = await main(argv, {
    home: path.join(scratch, 'home'),
    cwd: scratch,
    daemonScript: path.join(scratch, 'no-daemon.js'),
    out,
    err,
  });
  return { code, ...chunks };
}

test('top-level help lists every command with its summary, and the ref and MLSNAP_HOME notes', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  for (const c of COMMANDS)
    assert.match(
      r.stdout,
      new RegExp(`^  ${c.name}\\b.*${c.summary.slice(0, 20).replace(/[|()]/g, '\\$&')}`, 'm'),
      c.name,
    );
  assert.match(r.stdout, /A <ref> is path@N/);
  assert.match(r.stdout, /--project DIR/);
  assert.match(r.stdout, /MLSNAP_HOME/);
});

test('bare mlsnap prints the help on stdout and exits 2; `mlsnap help` exits 0', async () => {
  const bare = await run([]);
  assert.equal(bare.code, 2);
  assert.match(bare.stdout, /Commands:/);
  assert.equal((await run(['help'])).code, 0);
});

test("mlsnap log --help shows log's own usage and options", async () => {
  const r = await run(['log', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: mlsnap log \[options\] \[path\]/m);
  assert.match(r.stdout, /--limit <N>/);
  assert.match(r.stdout, /--json/);
  assert.doesNotMatch(r.stdout, /--keep-last/);
});

test('an option of another command is refused with exit 2 and the usage line', async () => {
  const r = await run(['cat', 'x@1', '--limit', '3']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "mlsnap cat: unknown option '--limit'\nusage: mlsnap cat [options] <ref>\n");
});

test('a missing required argument exits 2 naming the argument', async () => {
  const r = await run(['tag', 'x@1']);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^mlsnap tag: missing required argument 'name'\nusage: mlsnap tag \[options\] <ref> <name>\n$/,
  );
});

test('a missing required option and a value outside the choices exit 2', async () => {
  const gc = await run(['gc', '--dry-run']);
  assert.equal(gc.code, 2);
  assert.match(gc.stderr, /^mlsnap gc: required option '--keep-last <N>' not specified/);
  const env = await run(['env', 'x@1', '--format', 'xml']);
  assert.equal(env.code, 2);
  assert.match(env.stderr, /^mlsnap env: .*'xml' is invalid/);
});

test('unknown commands exit 2, at the top and under daemon', async () => {
  const top = await run(['frobnicate']);
  assert.equal(top.code, 2);
  assert.match(top.stderr, /^mlsnap: unknown command 'frobnicate'\nusage: mlsnap /);
  const sub = await run(['daemon', 'frob']);
  assert.equal(sub.code, 2);
  assert.match(sub.stderr, /^mlsnap daemon: unknown command 'frob'/);
  const none = await run(['daemon']);
  assert.equal(none.code, 2, 'a group without its subcommand is bad usage');
  assert.match(none.stderr, /start.*\n.*stop/s);
});

test('subcommands have their own help and flags', async () => {
  const r = await run(['daemon', 'status', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: mlsnap daemon status \[options\]/m);
  const bad = await run(['daemon', 'start', '--limit', '1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^mlsnap daemon start: unknown option '--limit'\nusage: mlsnap daemon start \[options\]\n$/);
});

test('outside a project a read command exits 4, as JSON on stderr with --json before or after the command', async () => {
  for (const argv of [
    ['status', '--json'],
    ['--json', 'status'],
  ]) {
    const r = await run(argv);
    assert.equal(r.code, 4, argv.join(' '));
    assert.equal((JSON.parse(r.stderr) as { kind: string }).kind, 'not-initialized');
  }
  const plain = await run(['log']);
  assert.equal(plain.code, 4);
  assert.match(plain.stderr, /^mlsnap: no mlsnap project .*mlsnap init/);
});

test('--version prints the version', async () => {
  const r = await run(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});
