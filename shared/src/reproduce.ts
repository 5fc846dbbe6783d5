/**
 * What `mlsnap reproduce` and the editor's "Reproduce in Folder…" answer: the venv made, the
 * interpreter it was made from, and how what got installed differs from the record.
 * Pure data (no `node:*`), shared by the daemon, the CLI and the editor.
 */

/** One package whose installed state differs from the record. */
export interface ReproduceDifference {
  name: string;
  status: 'missing' | 'different' | 'extra';
  /** The version the record has (absent for `extra`). */
  recorded?: string;
  /** The version now installed (absent for `missing`). */
  installed?: string;
  /** Why it could not be reproduced: no index has it, pip's own error, ... */
  reason?: string;
}

export interface ReproducedPython {
  executable: string;
  version: string;
  /** How it was found: "pyenv 3.11.2", "/usr/bin/python3.11", "uv python find 3.11.2". */
  how: string;
  /** False when only the same major.minor was found (said in the report). */
  exactVersion: boolean;
}

export interface ReproduceResult {
  /** The folder holding the new venv (absolute). */
  dir: string;
  /** The Python version of the record. */
  recordedPython: string;
  python: ReproducedPython;
  /** True only when every recorded package is installed at its recorded version and nothing else is. */
  identical: boolean;
  /** Packages that match the record. */
  matching: number;
  differences: ReproduceDifference[];
  /** The pip commands run, for the log and the user to rerun by hand. */
  commands: string[][];
}
