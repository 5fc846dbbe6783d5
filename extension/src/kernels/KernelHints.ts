import * as vscode from 'vscode';
import type { KernelHintParams } from '../../../shared/src/protocol';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { BeforeSnapshotOnSave } from '../history/SnapshotOnSave';
import type { OutputLog } from '../OutputLog';
import type { ProjectCatalog } from '../ProjectCatalog';
import {
  chooseHint,
  executableFromOutputs,
  kernelRestarted,
  PRINT_EXECUTABLE,
  pythonExecutableOf,
} from './kernelOutput';
import {
  JUPYTER_EXTENSION_ID,
  PYTHON_EXTENSION_ID,
  type JupyterApi,
  type JupyterKernel,
  type JupyterKernels,
  type PythonApi,
  type PythonEnvironments,
} from './thirdPartyApis';

/** The most a kernel is waited for (it answers after the cell it is running); then the next save asks again. */
const ASK_TIMEOUT_MS = 60_000;

/** The other extensions' APIs, as found (each absent when its extension is, or refused us). */
interface Apis {
  kernels?: JupyterKernels;
  python?: PythonEnvironments;
}

/** A kernel asked, and what it said. */
interface Asked {
  kernel: JupyterKernel;
  executable: string;
  /** Forgets the answer when the kernel restarts or dies. */
  watch?: vscode.Disposable;
}

/**
 * Tells the daemon which interpreter a notebook's kernel runs (`notebook/kernel`), so its
 * versions are recorded with that environment rather than a guess: on save, and when a
 * kernel starts. The kernel is asked itself, through the Jupyter extension's API
 * (`sys.executable`), once per kernel start; with no Jupyter kernels API at all, the Python
 * extension's selected interpreter is sent instead. Snapshot on save waits for it (bounded)
 * through BeforeSnapshotOnSave. Knows nothing of snapshots; SnapshotOnSave nothing of Jupyter.
 */
export class KernelHints implements vscode.Disposable, BeforeSnapshotOnSave {
  private readonly store = new DisposableStore();
  /** By notebook URI. */
  private readonly asked = new Map<string, Asked>();
  /** A kernel being asked: a second save joins the question instead of asking again. */
  private readonly asking = new Map<JupyterKernel, Promise<string | undefined>>();
  /** By notebook URI: the hint on its way to the daemon. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** By notebook URI: the last hint the daemon got; a restarted daemon has forgotten them all. */
  private readonly sent = new Map<string, KernelHintParams>();
  private apis: Promise<Apis> | undefined;
  private onDidStartKernel: vscode.Disposable | undefined;
  private readonly logged = new Set<string>();

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly log: OutputLog,
  ) {
    this.store.track(vscode.workspace.onDidSaveNotebookDocument((nb) => void this.hint(nb.uri)));
    // Kernel starts are heard once a project's notebook is open (the Jupyter extension is
    // activated then, not at startup).
    this.store.track(vscode.workspace.onDidOpenNotebookDocument((nb) => void this.watchKernelsFor(nb.uri)));
    this.store.track(
      catalog.onDidChange(() => vscode.workspace.notebookDocuments.forEach((nb) => void this.watchKernelsFor(nb.uri))),
    );
    this.store.track(vscode.workspace.onDidCloseNotebookDocument((nb) => this.forget(nb.uri.toString(), true)));
    // The catalog must know this connection's projects first.
    this.store.track(
      daemon.onDidChangeState((s) => s === 'running' && void catalog.refresh().then(() => this.resend())),
    );
    // An extension installed, enabled or updated: look for the APIs again.
    this.store.track(vscode.extensions.onDidChange(() => this.resetApis()));
    this.store.track({ dispose: () => this.resetApis() });
    this.store.track({ dispose: () => [...this.asked.keys()].forEach((k) => this.forget(k, true)) });
  }

  /** SnapshotOnSave waits for this (bounded) before recording a saved notebook. */
  beforeSnapshot(uri: vscode.Uri): Promise<void> {
    return isNotebook(uri) ? this.hint(uri) : Promise.resolve();
  }

  /** Tell the daemon about one notebook; joins a hint already on its way unless a kernel just started. */
  private hint(uri: vscode.Uri, started?: JupyterKernel): Promise<void> {
    const key = uri.toString();
    const running = this.inFlight.get(key);
    if (running && !started) return running;
    const p: Promise<void> = this.tell(uri, started)
      .catch((e: unknown) => this.log.warn(`telling the daemon the kernel of ${uri.fsPath}: ${String(e)}`))
      .finally(() => {
        if (this.inFlight.get(key) === p) this.inFlight.delete(key);
      });
    this.inFlight.set(key, p);
    return p;
  }

  private async tell(uri: vscode.Uri, started?: JupyterKernel): Promise<void> {
    const hit = this.catalog.locate(uri);
    // Untrusted: the daemon records nothing automatically there, and a kernel is not run for it.
    if (!hit || !isNotebook(uri) || this.daemon.state !== 'running' || !vscode.workspace.isTrusted) return;
    const apis = await this.loadApis();
    const kernelExecutable = apis.kernels ? await this.kernelExecutable(uri, apis.kernels, started) : undefined;
    const pythonExecutable = !apis.kernels && apis.python ? await this.pythonExecutable(uri, apis.python) : undefined;
    const hint = chooseHint({ jupyterApi: apis.kernels !== undefined, kernelExecutable, pythonExecutable });
    if (!hint) return;
    const params: KernelHintParams = { root: hit.root, path: uri.fsPath, executable: hint.executable, how: hint.how };
    await this.daemon.call('notebook/kernel', params);
    this.sent.set(uri.toString(), params);
  }

  /** What the notebook's kernel says sys.executable is: asked once per kernel start. */
  private async kernelExecutable(
    uri: vscode.Uri,
    kernels: JupyterKernels,
    started?: JupyterKernel,
  ): Promise<string | undefined> {
    let kernel = started;
    if (!kernel) {
      try {
        kernel = await kernels.getKernel?.(uri);
      } catch (e) {
        this.logOnce('jupyter-access', `the Jupyter extension's kernels API refused mlsnap (${String(e)})`);
        return undefined;
      }
    }
    // None started by the user yet (or access denied): nothing runs this notebook.
    if (!kernel) return undefined;
    if (kernel.language !== undefined && kernel.language.toLowerCase() !== 'python') return undefined;
    const key = uri.toString();
    const asked = this.asked.get(key);
    if (asked?.kernel === kernel) return asked.executable;
    let question = this.asking.get(kernel);
    if (!question) {
      const k = kernel;
      question = this.ask(k)
        .then((executable) => {
          if (executable !== undefined) this.remember(key, k, executable);
          return executable;
        })
        .finally(() => this.asking.delete(k));
      this.asking.set(k, question);
    }
    return question;
  }

  /**
   * Run PRINT_EXECUTABLE in the kernel. Never cancelled: cancelling interrupts the kernel,
   * which would stop the user's running cell; a kernel that does not answer in time is left to.
   */
  private async ask(kernel: JupyterKernel): Promise<string | undefined> {
    const execute = kernel.executeCode?.bind(kernel);
    if (!execute) {
      this.logOnce('jupyter-execute', "this Jupyter extension's kernels cannot run code for other extensions");
      return undefined;
    }
    const source = new vscode.CancellationTokenSource();
    const outputs: unknown[] = [];
    const run = (async () => {
      for await (const o of execute(PRINT_EXECUTABLE, source.token)) outputs.push(o);
      return true;
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ASK_TIMEOUT_MS)));
    try {
      if (!(await Promise.race([run, timeout]))) {
        this.log.info(
          `the kernel did not say its interpreter within ${ASK_TIMEOUT_MS / 1000} s; asked again at the next save`,
        );
        void run.catch(() => undefined).finally(() => source.dispose());
        return undefined;
      }
      source.dispose();
      const executable = executableFromOutputs(outputs);
      if (executable === undefined) this.log.info(`the kernel printed no interpreter path for sys.executable`);
      return executable;
    } catch (e) {
      source.dispose();
      this.log.warn(`asking the kernel for sys.executable: ${String(e)}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private remember(key: string, kernel: JupyterKernel, executable: string): void {
    this.forget(key, false);
    let watch: vscode.Disposable | undefined;
    try {
      watch = kernel.onDidChangeStatus?.((s) => kernelRestarted(s) && this.forget(key, false));
    } catch {
      watch = undefined; // an API without status events: kernel starts still reset it
    }
    this.asked.set(key, { kernel, executable, ...(watch ? { watch } : {}) });
  }

  /** Forget a notebook's kernel answer (and, when it closed, the hint sent). */
  private forget(key: string, closed: boolean): void {
    this.asked.get(key)?.watch?.dispose();
    this.asked.delete(key);
    if (closed) this.sent.delete(key);
  }

  private async pythonExecutable(uri: vscode.Uri, envs: PythonEnvironments): Promise<string | undefined> {
    try {
      const envPath = envs.getActiveEnvironmentPath?.(uri);
      const resolved = envPath && envs.resolveEnvironment ? await envs.resolveEnvironment(envPath) : undefined;
      return pythonExecutableOf(envPath, resolved);
    } catch (e) {
      this.logOnce('python-api', `the Python extension's environments API failed: ${String(e)}`);
      return undefined;
    }
  }

  /** A kernel (re)started for a notebook of a project: ask it now, not at the next save. */
  private onKernelStart(e: { uri?: vscode.Uri; kernel?: JupyterKernel }): void {
    if (!e.uri || !e.kernel || !this.catalog.locate(e.uri) || !isNotebook(e.uri)) return;
    this.forget(e.uri.toString(), false);
    void this.hint(e.uri, e.kernel);
  }

  private async watchKernelsFor(uri: vscode.Uri): Promise<void> {
    if (isNotebook(uri) && this.catalog.locate(uri)) await this.loadApis();
  }

  private loadApis(): Promise<Apis> {
    this.apis ??= this.findApis();
    return this.apis;
  }

  private async findApis(): Promise<Apis> {
    let kernels: JupyterKernels | undefined;
    try {
      kernels = (await this.exportsOf<JupyterApi>(JUPYTER_EXTENSION_ID))?.kernels;
    } catch (e) {
      this.logOnce('jupyter-access', `the Jupyter extension's kernels API refused mlsnap (${String(e)})`);
    }
    if (typeof kernels?.getKernel !== 'function') kernels = undefined;
    if (kernels?.onDidStart && !this.onDidStartKernel) {
      try {
        this.onDidStartKernel = kernels.onDidStart((e) => this.onKernelStart(e));
      } catch (e) {
        this.logOnce('jupyter-start', `cannot hear the Jupyter extension's kernel starts: ${String(e)}`);
      }
    }
    // The Python extension's pick is only for when no Jupyter kernels API exists at all.
    const python = kernels ? undefined : (await this.exportsOf<PythonApi>(PYTHON_EXTENSION_ID))?.environments;
    return { ...(kernels ? { kernels } : {}), ...(python ? { python } : {}) };
  }

  private async exportsOf<T>(id: string): Promise<T | undefined> {
    const ext = vscode.extensions.getExtension<T>(id);
    if (!ext) return undefined;
    try {
      return ext.isActive ? ext.exports : await ext.activate();
    } catch (e) {
      this.logOnce(`activate:${id}`, `could not activate ${id}: ${String(e)}`);
      return undefined;
    }
  }

  private resetApis(): void {
    this.apis = undefined;
    this.onDidStartKernel?.dispose();
    this.onDidStartKernel = undefined;
  }

  /** A restarted daemon keeps no hints: give it those of this window's open notebooks again. */
  private async resend(): Promise<void> {
    for (const params of [...this.sent.values()]) {
      if (!this.catalog.roots.includes(params.root)) continue;
      await this.daemon
        .call('notebook/kernel', params)
        .catch((e: unknown) => this.log.warn(`telling the daemon the kernel of ${params.path} again: ${String(e)}`));
    }
  }

  /** Problems with another extension's API are logged once, not at every save. */
  private logOnce(key: string, message: string): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.log.warn(`${message}; notebook kernels' interpreters are found by the daemon's own means`);
  }

  dispose(): void {
    this.store.dispose();
  }
}

function isNotebook(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && uri.path.toLowerCase().endsWith('.ipynb');
}
