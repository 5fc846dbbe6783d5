import type * as vscode from 'vscode';
import type { Credentials } from '../../../shared/src/protocol';
import { REMOTE_SECRET_PREFIX } from '../ids';

/**
 * Remote credentials (AWS keys, Azure connection strings and SAS tokens) in the editor's
 * SecretStorage (the OS keychain in desktop VS Code), one entry per project and remote. They
 * are never written to settings or to the project: the daemon gets them over its socket and
 * keeps them in memory only.
 */
export class RemoteSecrets {
  constructor(private readonly storage: vscode.SecretStorage) {}

  async get(root: string, name: string): Promise<Credentials | undefined> {
    const raw = await this.storage.get(key(root, name));
    if (raw === undefined) return undefined;
    try {
      const parsed = JSON.parse(raw) as unknown;
      return isCredentials(parsed) && Object.keys(parsed).length > 0 ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  async set(root: string, name: string, credentials: Credentials): Promise<void> {
    if (Object.keys(credentials).length === 0) await this.delete(root, name);
    else await this.storage.store(key(root, name), JSON.stringify(credentials));
  }

  async delete(root: string, name: string): Promise<void> {
    await this.storage.delete(key(root, name));
  }
}

function key(root: string, name: string): string {
  return `${REMOTE_SECRET_PREFIX}${JSON.stringify([root, name])}`;
}

function isCredentials(v: unknown): v is Credentials {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v as Record<string, unknown>).every((x) => typeof x === 'string')
  );
}
