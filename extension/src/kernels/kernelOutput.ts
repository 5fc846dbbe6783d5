/**
 * What KernelHints makes of the Jupyter and Python extensions' answers. Pure: unit tested
 * without vscode.
 */
import type { JupyterOutputItem, PythonEnvironmentPath, PythonResolvedEnvironment } from './thirdPartyApis';

/** Run in the notebook's kernel: its interpreter, on stdout. */
export const PRINT_EXECUTABLE = 'import sys; print(sys.executable)';

/** The stdout stream's mime: VS Code's own, and the one the Jupyter API's docs name. */
export const STDOUT_MIMES: ReadonlySet<string> = new Set([
  'application/vnd.code.notebook.stdout',
  'application/x.notebook.stream.stdout',
]);

export const JUPYTER_HOW = "the Jupyter extension's kernel for this notebook (sys.executable)";
export const PYTHON_EXTENSION_HOW =
  "the Python extension's selected interpreter for this notebook (the Jupyter extension's default kernel)";

/** A hint for the daemon's `notebook/kernel`. */
export interface KernelHint {
  executable: string;
  how: string;
}

/** The items of one yielded output, whichever shape it has; anything else has none. */
export function outputItems(output: unknown): JupyterOutputItem[] {
  const items: unknown = Array.isArray(output) ? output : (output as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return [];
  return items.filter((i): i is JupyterOutputItem => typeof i === 'object' && i !== null);
}

/** Everything the code printed on stdout, decoded as UTF-8. */
export function stdoutOf(outputs: readonly unknown[]): string {
  const decoder = new TextDecoder();
  return outputs
    .flatMap(outputItems)
    .filter((i) => i.mime !== undefined && STDOUT_MIMES.has(i.mime) && i.data instanceof Uint8Array)
    .map((i) => decoder.decode(i.data))
    .join('');
}

export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);
}

/** The interpreter PRINT_EXECUTABLE printed: its last non-empty line, when that is an absolute path. */
export function executableFromOutputs(outputs: readonly unknown[]): string | undefined {
  const lines = stdoutOf(outputs)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines[lines.length - 1];
  return last !== undefined && isAbsolutePath(last) ? last : undefined;
}

/**
 * The interpreter the Python extension selected: the resolved environment's executable, else
 * its path when that names an interpreter (not an environment's folder).
 */
export function pythonExecutableOf(
  envPath: PythonEnvironmentPath | undefined,
  resolved: PythonResolvedEnvironment | undefined,
): string | undefined {
  const exe = resolved?.executable?.uri?.fsPath;
  if (typeof exe === 'string' && isAbsolutePath(exe)) return exe;
  const p = envPath?.path;
  if (typeof p !== 'string' || !isAbsolutePath(p)) return undefined;
  const base = p.split(/[\\/]/).pop() ?? '';
  return /^python[\d.]*(\.exe)?$/i.test(base) ? p : undefined;
}

export interface HintSources {
  /** The Jupyter extension's kernels API is there (whatever it answered). */
  jupyterApi: boolean;
  /** What the notebook's kernel printed for sys.executable. */
  kernelExecutable?: string | undefined;
  /** The Python extension's selected interpreter for the notebook. */
  pythonExecutable?: string | undefined;
}

/**
 * What to tell the daemon. The kernel's own answer is the truth; the Python extension's pick
 * is only a guess at the kernel Jupyter would start, so it is sent only when there is no
 * Jupyter kernels API at all (a kernel API that has no kernel yet means none runs).
 */
export function chooseHint(s: HintSources): KernelHint | null {
  if (s.jupyterApi)
    return s.kernelExecutable !== undefined && isAbsolutePath(s.kernelExecutable)
      ? { executable: s.kernelExecutable, how: JUPYTER_HOW }
      : null;
  return s.pythonExecutable !== undefined && isAbsolutePath(s.pythonExecutable)
    ? { executable: s.pythonExecutable, how: PYTHON_EXTENSION_HOW }
    : null;
}

/** Statuses after which a kernel's interpreter must be asked again (it may be another process). */
export function kernelRestarted(status: string): boolean {
  return status === 'restarting' || status === 'autorestarting' || status === 'dead' || status === 'terminating';
}
