import * as vscode from 'vscode';
import type { VersionInfo } from '../../shared/src/domain';
import { MlsnapError } from '../../shared/src/errors';
import type { DaemonConnection } from './connection/DaemonConnection';
import { SUMMARY_SCHEME, VERSION_SCHEME } from './ids';
import { versionMarkdown } from './presentation/summaries';
import { isTextLike, parseVersionQuery, refOf, versionUriParts, type VersionAddress } from './presentation/versionUri';

export function versionUri(scheme: string, a: VersionAddress): vscode.Uri {
  const parts = versionUriParts(a);
  return vscode.Uri.from({ scheme, path: parts.path, query: parts.query });
}

/** The document that shows a version: its bytes, or a summary for binary model files. */
export function documentUriFor(root: string, v: VersionInfo): vscode.Uri {
  const a = { root, path: v.path, seq: v.seq };
  return isTextLike(v.path)
    ? versionUri(VERSION_SCHEME, a)
    : versionUri(SUMMARY_SCHEME, a).with({ path: `${versionUriParts(a).path}.md` });
}

/**
 * `mlsnap:` — a read-only file system serving the bytes of any version, so VS Code's own
 * editors (the notebook editor, the notebook diff editor, the text diff) open it.
 */
export class VersionFileSystem implements vscode.FileSystemProvider {
  private readonly _onDidChangeFile = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this._onDidChangeFile.event;

  constructor(private readonly daemon: DaemonConnection) {}

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const a = parseVersionQuery(uri.query);
    const show = await this.daemon.call('ref/show', { root: a.root, ref: refOf(a) });
    const v = show.version;
    if (!v) throw vscode.FileSystemError.FileNotFound(uri);
    return {
      type: vscode.FileType.File,
      ctime: v.createdAt,
      mtime: v.createdAt,
      size: v.size,
      permissions: vscode.FilePermission.Readonly,
    };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const a = parseVersionQuery(uri.query);
    try {
      const r = await this.daemon.call('version/read', { root: a.root, ref: refOf(a) });
      return Buffer.from(r.base64, 'base64');
    } catch (e) {
      if (e instanceof MlsnapError && e.kind === 'not-found') throw vscode.FileSystemError.FileNotFound(uri);
      throw e;
    }
  }

  watch(): vscode.Disposable {
    // Versions never change.
    return new vscode.Disposable(() => undefined);
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this._onDidChangeFile.dispose();
  }
}

/** `mlsnap-summary:` — a rendered summary (format, size, hash, environment) of a binary version. */
export class VersionSummaries implements vscode.TextDocumentContentProvider {
  constructor(private readonly daemon: DaemonConnection) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const a = parseVersionQuery(uri.query);
    const show = await this.daemon.call('ref/show', { root: a.root, ref: refOf(a) });
    if (!show.version) return `# ${refOf(a)}\n\nnot found\n`;
    return versionMarkdown(show.version, show.environment, show.git);
  }
}
