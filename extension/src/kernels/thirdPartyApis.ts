/**
 * The parts of other extensions' APIs that KernelHints uses, typed here (their packages are
 * not dependencies). Everything is optional: older versions lack parts, newer ones may move
 * them, and the user may deny access. Shapes follow the Jupyter extension's stable api.d.ts
 * (kernels.getKernel, Kernel.executeCode) and its kernels.onDidStart, and the Python
 * extension's environments API.
 */
import type * as vscode from 'vscode';

export const JUPYTER_EXTENSION_ID = 'ms-toolsai.jupyter';
export const PYTHON_EXTENSION_ID = 'ms-python.python';

export interface JupyterOutputItem {
  mime?: string;
  data?: Uint8Array;
}

/** What executeCode yields: an Output `{ items }` (stable API), or the items themselves (early builds). */
export type JupyterOutput = { items?: readonly JupyterOutputItem[] } | readonly JupyterOutputItem[];

export interface JupyterKernel {
  readonly status?: string;
  /** 'python', 'r', 'julia', ... */
  readonly language?: string;
  readonly onDidChangeStatus?: vscode.Event<string>;
  /** Runs code without touching the notebook, its execution count or history. Cancelling interrupts the kernel. */
  executeCode?(code: string, token: vscode.CancellationToken): AsyncIterable<JupyterOutput>;
}

export interface JupyterKernels {
  /** The kernel the user started for a notebook, or undefined (none yet, or access denied). */
  getKernel?(uri: vscode.Uri): Thenable<JupyterKernel | undefined>;
  /** A kernel started or restarted for a notebook. */
  readonly onDidStart?: vscode.Event<{ uri: vscode.Uri; kernel: JupyterKernel }>;
}

export interface JupyterApi {
  readonly kernels?: JupyterKernels;
}

export interface PythonEnvironmentPath {
  id?: string;
  /** The interpreter, or the environment's folder. */
  path?: string;
}

export interface PythonResolvedEnvironment {
  executable?: { uri?: { fsPath?: string } };
}

export interface PythonEnvironments {
  getActiveEnvironmentPath?(resource?: vscode.Uri): PythonEnvironmentPath | undefined;
  resolveEnvironment?(env: PythonEnvironmentPath | string): Thenable<PythonResolvedEnvironment | undefined>;
}

export interface PythonApi {
  readonly environments?: PythonEnvironments;
}
