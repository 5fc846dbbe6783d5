import type { GitState } from '../../../shared/src/domain';
import { describeExecFailure, ExecError, execBounded } from './BoundedExec';
import type { BlobSink, ProbeLog } from './ProbeTypes';

/** The uncommitted diff is stored with every snapshot; beyond this it is cut. */
export const GIT_PATCH_MAX_BYTES = 1024 * 1024;

type GitAnswer = { ok: true; stdout: Buffer; truncated: boolean } | { ok: false; why: string; gitMissing: boolean };

/** Cut a truncated patch after its last complete line, so it stays readable (and valid UTF-8). */
export function cutAtLastLine(patch: Buffer): Buffer {
  const lastNewline = patch.lastIndexOf(0x0a);
  return lastNewline < 0 ? patch : patch.subarray(0, lastNewline + 1);
}

/**
 * Git state of a project: HEAD commit, branch, whether tracked files differ from HEAD, and the
 * diff itself as a blob. Read-only: GIT_OPTIONAL_LOCKS=0 keeps `git status` from taking the index
 * lock, which would make the user's own git commands fail while we run.
 */
export class GitProbe {
  constructor(
    private readonly projectRoot: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly timeoutMs: number,
    private readonly blobs: BlobSink,
    private readonly log: ProbeLog,
  ) {}

  async capture(): Promise<GitState | null> {
    const inside = await this.git(['rev-parse', '--is-inside-work-tree']);
    if (!inside.ok) {
      if (inside.gitMissing) this.log.info('git: not found on PATH; no git state recorded');
      else if (!inside.why.includes('not a git repository')) this.log.warn(`git: ${inside.why}`);
      return null;
    }
    if (text(inside) !== 'true') return null; // inside .git itself
    const head = await this.git(['rev-parse', '--verify', '-q', 'HEAD']);
    const commit = head.ok && text(head) !== '' ? text(head) : null; // null: no commit yet
    const branchAnswer = await this.git(['symbolic-ref', '--short', '-q', 'HEAD']);
    const branch = branchAnswer.ok && text(branchAnswer) !== '' ? text(branchAnswer) : null; // null: detached HEAD
    // Untracked files do not count: model outputs are often untracked and would make every snapshot dirty.
    const status = await this.git(['status', '--porcelain', '--untracked-files=no']);
    if (!status.ok) this.log.warn(`git: status failed: ${status.why}`);
    const dirty = status.ok && text(status) !== '';
    const state: GitState = { commit, branch, dirty };
    if (dirty) await this.attachPatch(state, commit);
    return state;
  }

  private async attachPatch(state: GitState, commit: string | null): Promise<void> {
    const base = commit ?? (await this.emptyTree());
    if (base === null) return;
    const diff = await this.git(['diff', base], GIT_PATCH_MAX_BYTES);
    if (!diff.ok) {
      this.log.warn(`git: diff failed: ${diff.why}`);
      return;
    }
    if (diff.stdout.length === 0) return;
    const patch = diff.truncated ? cutAtLastLine(diff.stdout) : diff.stdout;
    state.patchBlob = await this.blobs.putBuffer(patch, { compress: true });
    if (diff.truncated) state.patchTruncated = true;
  }

  /** Before the first commit the diff is against the empty tree (its hash depends on the repo's hash algorithm). */
  private async emptyTree(): Promise<string | null> {
    const answer = await this.git(['hash-object', '-t', 'tree', '--stdin']);
    return answer.ok ? text(answer) : null;
  }

  private async git(args: string[], maxStdoutBytes?: number): Promise<GitAnswer> {
    // core.quotepath=off keeps non-ASCII paths readable in the patch.
    const fullArgs = ['-c', 'core.quotepath=off', ...args];
    try {
      const result = await execBounded('git', fullArgs, {
        cwd: this.projectRoot,
        env: { ...this.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
        timeoutMs: this.timeoutMs,
        maxStdoutBytes,
      });
      // A truncated diff was killed by us, so its exit code says nothing.
      if (result.code !== 0 && !result.truncated) {
        const why = result.stderr.trim().split('\n')[0] || `git ${args[0] ?? ''} exited ${String(result.code)}`;
        return { ok: false, why, gitMissing: false };
      }
      return { ok: true, stdout: result.stdout, truncated: result.truncated };
    } catch (err) {
      const gitMissing = err instanceof ExecError && err.reason === 'not-found';
      return { ok: false, why: describeExecFailure(err), gitMissing };
    }
  }
}

function text(answer: { stdout: Buffer }): string {
  return answer.stdout.toString('utf8').trim();
}
