/**
 * What every fuzz target shares: the one outcome a parser may have besides returning (an
 * `invalid-file` MlsnapError naming the file it was given), a scratch file for parsers that take
 * a path, and the fixtures that seed the corpora. Anything else a parser throws is rethrown, so
 * Jazzer.js reports it as a finding and saves the input.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MlsnapError } from '../../shared/src/errors';

/** The expected rejection: invalid-file, naming the file the parser was handed. */
export function isExpectedRejection(err: unknown, file: string): boolean {
  return err instanceof MlsnapError && err.kind === 'invalid-file' && err.path === file;
}

/** A rejection that names another file or is of another kind: still a finding, said clearly. */
function unexpected(err: unknown, file: string): unknown {
  if (!(err instanceof MlsnapError)) return err;
  return new Error(
    `expected invalid-file naming ${file}, got ${err.kind} naming ${err.path ?? '(none)'}: ${err.message}`,
  );
}

/** Runs an async parser: its result, or undefined when it rejected the input as expected. */
export async function expectParsed<T>(file: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    if (isExpectedRejection(err, file)) return undefined;
    throw unexpected(err, file);
  }
}

/** Runs a synchronous parser (metrics, notebooks) the same way. */
export function expectParsedSync<T>(file: string, run: () => T): T | undefined {
  try {
    return run();
  } catch (err) {
    if (isExpectedRejection(err, file)) return undefined;
    throw unexpected(err, file);
  }
}

/**
 * Summaries cross the wire as JSON: one that JSON cannot encode (a BigInt, a cycle, nesting
 * deeper than the stack) would fail the request that asked for it, so that is a finding too.
 */
export function assertSerializable(value: unknown): void {
  JSON.stringify(value);
}

let scratchDir: string | null = null;

/** A path in a per-process temporary folder (removed at exit), for parsers that open a file. */
export function scratchFile(name: string): string {
  if (!scratchDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsnap-fuzz-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    scratchDir = dir;
  }
  return path.join(scratchDir, name);
}

/** The repository root, found from this file whether it runs as TypeScript or bundled in dist/fuzz. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mlsnap')
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no mlsnap package.json above ${__dirname}`);
  }
}

/** The files under repo-relative folders or files whose names pass `keep`, sorted. */
export function fixtureFiles(roots: string[], keep: (file: string) => boolean = () => true): string[] {
  const root = repoRoot();
  const out: string[] = [];
  const visit = (p: string): void => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
    else if (st.isFile() && keep(p)) out.push(p);
  };
  for (const r of roots) if (fs.existsSync(path.join(root, r))) visit(path.join(root, r));
  return out.sort();
}

/** The contents of fixtureFiles(). */
export function fixtureBytes(roots: string[], keep?: (file: string) => boolean): Buffer[] {
  return fixtureFiles(roots, keep).map((f) => fs.readFileSync(f));
}

/** A target: the entry point Jazzer.js calls, and the inputs its corpus starts from. */
export interface FuzzTarget {
  fuzz(data: Buffer): Promise<void> | void;
  seeds(): Buffer[] | Promise<Buffer[]>;
}
