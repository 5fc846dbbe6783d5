import { execFileSync } from 'node:child_process';

/**
 * Execute a notebook of the project at `root` in place, for real, with Debian's nbconvert
 * (/usr/bin/python3), as from a user's terminal; MPLBACKEND=Agg so that plotting needs no display.
 */
export function executeNotebook(root: string, file = 'train.ipynb'): void {
  execFileSync('/usr/bin/python3', ['-m', 'nbconvert', '--to', 'notebook', '--execute', '--inplace', file], {
    cwd: root,
    stdio: 'pipe',
    timeout: 180_000,
    env: { ...process.env, MPLBACKEND: 'Agg' },
  });
}
