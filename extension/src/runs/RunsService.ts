import * as path from 'node:path';
import * as vscode from 'vscode';
import { MlsnapError } from '../../../shared/src/errors';
import type { RunSummary } from '../../../shared/src/runs';
import { activeUri } from '../activeEditor';
import type { ProjectCatalog } from '../ProjectCatalog';
import { outputPaths, shortRunId } from '../presentation/runs';
import type { RunsData } from './RunsData';
import type { RunsPanels } from './RunsPanel';
import type { RunsNode } from './RunsTree';

/** What a runs command was run on, as its arguments say. */
export type RunsTarget =
  /** The palette, a keybinding, a view title button. */
  | { kind: 'palette' }
  /** A Runs row, a History row, an explorer Uri, a project root. */
  | { kind: 'argument'; value: unknown };

/** What the runs commands do; the commands stay thin and delegate here. */
export class RunsService {
  constructor(
    private readonly data: RunsData,
    private readonly catalog: ProjectCatalog,
    private readonly panels: RunsPanels,
  ) {}

  /** The project's Runs table; from a run's row, with that run selected. */
  async openTable(on: RunsTarget): Promise<void> {
    const node = runsNode(on);
    if (node) {
      this.data.requireRunning();
      this.panels.show(node.root, node.kind === 'run' ? { select: [node.run.id] } : {});
      return;
    }
    const root = await this.chooseRoot(on, 'Open the runs of which project?');
    if (root) this.panels.show(root);
  }

  /** A run against the previous run of its source, in the Runs table. */
  async compareWithPrevious(on: RunsTarget): Promise<void> {
    const node = runsNode(on);
    this.data.requireRunning();
    const picked = node?.kind === 'run' ? { root: node.root, run: node.run } : await this.pickRun();
    if (!picked) return;
    const previous =
      node?.kind === 'run' && node.run.id === picked.run.id
        ? node.previous
        : await this.previousOf(picked.root, picked.run);
    if (!previous) {
      void vscode.window.showInformationMessage(
        `mlsnap: run ${shortRunId(picked.run.id)} is the first run of ${picked.run.source ?? 'its command'}; there is nothing before it`,
      );
      return;
    }
    this.panels.show(picked.root, { compare: [previous.id, picked.run.id] });
  }

  /** A model's metric over its versions: the file run on (explorer, History, editor), or one picked. */
  async showModelTrend(on: RunsTarget): Promise<void> {
    this.data.requireRunning();
    const file = fileOf(on, (u) => this.catalog.locate(u)) ?? (on.kind === 'palette' ? this.activeFile() : undefined);
    if (file) {
      this.panels.show(file.root, { trend: file.rel });
      return;
    }
    const root = await this.chooseRoot(on, 'Show the trend of a model of which project?');
    if (!root) return;
    const paths = outputPaths(await this.data.list(root));
    if (paths.length === 0)
      throw new MlsnapError(
        'not-found',
        'no run has written a tracked file yet; execute a notebook or `mlsnap run` a script',
      );
    const rel = await vscode.window.showQuickPick(paths, { title: 'Show the metric trend of which model?' });
    if (rel) this.panels.show(root, { trend: rel });
  }

  private activeFile(): { root: string; rel: string } | undefined {
    const uri = activeUri();
    return uri ? (this.catalog.locate(uri) ?? undefined) : undefined;
  }

  private async previousOf(root: string, run: RunSummary): Promise<RunSummary | undefined> {
    const runs = await this.data.list(root, run.source ?? undefined);
    const i = runs.findIndex((r) => r.id === run.id);
    return i < 0 ? undefined : runs.slice(i + 1).find((r) => r.source === run.source);
  }

  private async pickRun(): Promise<{ root: string; run: RunSummary } | undefined> {
    const root = await this.chooseRoot({ kind: 'palette' }, 'Compare a run of which project?');
    if (!root) return undefined;
    const runs = await this.data.list(root);
    if (runs.length === 0)
      throw new MlsnapError('not-found', 'no runs yet: execute a notebook, or `mlsnap run` a script');
    const picked = await vscode.window.showQuickPick(
      runs.map((run) => ({
        label: `${run.source ?? (run.argv ?? []).join(' ')}`,
        description: `${shortRunId(run.id)} · ${new Date(run.startedAt).toLocaleString()}`,
        run,
      })),
      { title: 'Compare which run with the run before it?', matchOnDescription: true },
    );
    return picked ? { root, run: picked.run } : undefined;
  }

  /** The project a command means: the one it was run on, the only one, or one the user picks. */
  private async chooseRoot(on: RunsTarget, title: string): Promise<string | undefined> {
    this.data.requireRunning();
    const named = on.kind === 'argument' ? rootOf(on.value) : undefined;
    if (named) return named;
    const roots = this.catalog.roots;
    if (roots.length === 0)
      throw new MlsnapError(
        'bad-request',
        'no mlsnap project in this workspace; run "mlsnap: Initialize Project" first',
      );
    if (roots.length === 1) return roots[0];
    const picked = await vscode.window.showQuickPick(
      roots.map((root) => ({ label: path.basename(root), description: root, root })),
      { title },
    );
    return picked?.root;
  }
}

function runsNode(on: RunsTarget): RunsNode | undefined {
  if (on.kind !== 'argument') return undefined;
  const n = on.value as Partial<RunsNode> | null | undefined;
  if (!n || typeof n !== 'object' || typeof n.root !== 'string') return undefined;
  return n.kind === 'run' || n.kind === 'source' || n.kind === 'project' ? (n as RunsNode) : undefined;
}

function rootOf(a: unknown): string | undefined {
  if (typeof a === 'string' && a !== '') return a;
  const root = (a as { root?: unknown } | null | undefined)?.root;
  return typeof root === 'string' ? root : undefined;
}

/** The file a command was run on: an explorer or editor Uri, or a History file/version row. */
function fileOf(
  on: RunsTarget,
  locate: (uri: vscode.Uri) => { root: string; rel: string } | null,
): { root: string; rel: string } | undefined {
  if (on.kind !== 'argument') return undefined;
  if (on.value instanceof vscode.Uri) return locate(on.value) ?? undefined;
  const a = on.value as { kind?: unknown; root?: unknown; path?: unknown; version?: { path?: unknown } } | null;
  if (!a || typeof a !== 'object' || typeof a.root !== 'string') return undefined;
  if (a.kind === 'file' && typeof a.path === 'string') return { root: a.root, rel: a.path };
  if (a.kind === 'version' && typeof a.version?.path === 'string') return { root: a.root, rel: a.version.path };
  return undefined;
}
