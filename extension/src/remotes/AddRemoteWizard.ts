import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vscode from 'vscode';
import type { Credentials, RemoteInfo } from '../../../shared/src/protocol';
import { endpointProblem, remoteNameProblem, remoteUrlProblem, suggestRemoteName } from '../presentation/remotes';

/** The kinds offered by "Add Remote…": each has its own questions. */
export type RemoteKindChoice = 's3' | 's3-compatible' | 'azure' | 'folder';

/** What the user answered; kept so that "Edit and Retry" starts from it. */
export interface RemoteAnswers {
  kind: RemoteKindChoice;
  url: string;
  endpoint?: string;
  region?: string;
  profile?: string;
  /** Secrets: go to SecretStorage and the daemon, nowhere else. */
  credentials: Credentials;
  name: string;
  /** Make the folder (or bucket, container) when it does not exist. */
  create: boolean;
}

type Choice<T> = vscode.QuickPickItem & { value: T };

const KINDS: Choice<RemoteKindChoice>[] = [
  {
    value: 's3',
    label: '$(cloud) Amazon S3',
    detail: 's3://bucket/prefix, with an AWS profile, an access key or the default AWS credentials',
  },
  {
    value: 's3-compatible',
    label: '$(server) S3-compatible storage',
    detail: 'MinIO, Cloudflare R2, Google Cloud Storage (XML API), Ceph: an endpoint URL and an access key',
  },
  {
    value: 'azure',
    label: '$(azure) Azure Blob Storage',
    detail: 'azure://account/container/prefix, with a connection string, a SAS token or az login',
  },
  {
    value: 'folder',
    label: '$(folder) Folder',
    detail: 'a shared or synced folder: a network share (NFS, SMB), a mounted drive, a Dropbox folder',
  },
];

type CredentialChoice = 'keys' | 'profile' | 'default' | 'connection-string' | 'sas';

const S3_CREDENTIALS: Choice<CredentialChoice>[] = [
  {
    value: 'profile',
    label: '$(account) AWS profile',
    detail: 'a profile of ~/.aws/config (SSO, assumed roles); stored with the remote, it is not a secret',
  },
  {
    value: 'keys',
    label: '$(key) Access key',
    detail: "an access key id and secret access key, kept in VS Code's secret storage",
  },
  {
    value: 'default',
    label: '$(globe) Default AWS credentials',
    detail: "whatever the daemon finds itself: its environment, ~/.aws, the machine's instance or container role",
  },
];

const AZURE_CREDENTIALS: Choice<CredentialChoice>[] = [
  {
    value: 'connection-string',
    label: '$(key) Connection string',
    detail: "the storage account's connection string, kept in VS Code's secret storage",
  },
  { value: 'sas', label: '$(key) SAS token', detail: "a shared access signature, kept in VS Code's secret storage" },
  {
    value: 'default',
    label: '$(globe) Default Azure credential',
    detail: 'az login, a managed identity or AZURE_* variables of the daemon (DefaultAzureCredential)',
  },
];

/**
 * The questions of "Add Remote…", one kind at a time (quick picks and input boxes). Only the
 * shape of what is typed is checked here; the daemon checks the values when it adds the
 * remote (reachable, writable, names valid) and its sentence is shown when they are not.
 */
export class AddRemoteWizard {
  constructor(private readonly existing: readonly RemoteInfo[]) {}

  async run(previous?: RemoteAnswers): Promise<RemoteAnswers | undefined> {
    const kind = await pick('Add Remote: where do the versions go?', KINDS, previous?.kind);
    if (kind === undefined) return undefined;
    const asked = await this.location(kind, previous?.kind === kind ? previous : undefined);
    if (!asked) return undefined;
    const name = await input({
      title: 'Add Remote: its name in this project',
      prompt: 'Push and Pull use it; the first remote added is the default',
      value: previous?.name ?? suggestRemoteName(this.existing.map((r) => r.name)),
      validateInput: (s) =>
        remoteNameProblem(
          s.trim(),
          this.existing.map((r) => r.name),
        ),
    });
    if (name === undefined) return undefined;
    return { ...asked, name: name.trim() };
  }

  private location(
    kind: RemoteKindChoice,
    previous: RemoteAnswers | undefined,
  ): Promise<Omit<RemoteAnswers, 'name'> | undefined> {
    switch (kind) {
      case 's3':
      case 's3-compatible':
        return this.s3(kind, previous);
      case 'azure':
        return this.azure(previous);
      case 'folder':
        return this.folder(previous);
    }
  }

  private async s3(
    kind: 's3' | 's3-compatible',
    previous: RemoteAnswers | undefined,
  ): Promise<Omit<RemoteAnswers, 'name'> | undefined> {
    const compatible = kind === 's3-compatible';
    let endpoint: string | undefined;
    if (compatible) {
      endpoint = await input({
        title: 'Add Remote: the S3-compatible endpoint',
        prompt: 'The service URL, e.g. https://minio.example.com:9000 or https://<account>.r2.cloudflarestorage.com',
        value: previous?.endpoint ?? '',
        validateInput: (s) => endpointProblem(s),
      });
      if (endpoint === undefined) return undefined;
    }
    const url = await input({
      title: 'Add Remote: the bucket',
      prompt: 's3://bucket/prefix (the prefix is optional; versions go under it)',
      value: previous?.url ?? 's3://',
      validateInput: (s) => remoteUrlProblem('s3', s),
    });
    if (url === undefined) return undefined;
    const region = await input({
      title: 'Add Remote: the region',
      prompt: compatible
        ? 'The region the service expects (R2: auto; MinIO: us-east-1 unless configured)'
        : 'e.g. eu-west-1; empty: the region of your AWS config or AWS_REGION',
      value: previous?.region ?? (compatible ? 'us-east-1' : ''),
    });
    if (region === undefined) return undefined;
    const choices = compatible ? S3_CREDENTIALS.filter((c) => c.value !== 'profile').reverse() : S3_CREDENTIALS;
    const asked = await askCredentials('s3', choices, 'Add Remote: credentials');
    if (!asked) return undefined;
    return {
      kind,
      url: url.trim(),
      ...(endpoint ? { endpoint: endpoint.trim() } : {}),
      ...(region.trim() ? { region: region.trim() } : {}),
      ...(asked.profile ? { profile: asked.profile } : {}),
      credentials: asked.credentials,
      create: false,
    };
  }

  private async azure(previous: RemoteAnswers | undefined): Promise<Omit<RemoteAnswers, 'name'> | undefined> {
    const url = await input({
      title: 'Add Remote: the container',
      prompt: 'azure://account/container/prefix (the prefix is optional; versions go under it)',
      value: previous?.url ?? 'azure://',
      validateInput: (s) => remoteUrlProblem('azure', s),
    });
    if (url === undefined) return undefined;
    const asked = await askCredentials('azure', AZURE_CREDENTIALS, 'Add Remote: credentials');
    if (!asked) return undefined;
    return { kind: 'azure', url: url.trim(), credentials: asked.credentials, create: false };
  }

  private async folder(previous: RemoteAnswers | undefined): Promise<Omit<RemoteAnswers, 'name'> | undefined> {
    const typed = await input({
      title: 'Add Remote: the folder',
      prompt: 'Absolute path of a folder outside the project (a network share, a mounted or synced drive)',
      value: previous?.url ?? '',
      validateInput: (s) => (folderPath(s) === null ? 'an absolute path, e.g. /mnt/team/mlsnap' : null),
    });
    if (typed === undefined) return undefined;
    const folder = folderPath(typed) as string;
    let create = false;
    if (!fs.existsSync(folder)) {
      const answer = await vscode.window.showWarningMessage(
        `${folder} does not exist. Create it as a new, empty remote?`,
        { modal: true, detail: 'If it is a network share that is not mounted, mount it first instead.' },
        'Create Folder',
      );
      if (answer !== 'Create Folder') return undefined;
      create = true;
    }
    return { kind: 'folder', url: folder, credentials: {}, create };
  }
}

/**
 * The credentials of an S3 or Azure remote: a pick of how, then the secrets (password boxes).
 * An AWS profile is a setting of the remote, not a secret.
 */
export async function askCredentials(
  kind: 's3' | 'azure',
  choices: Choice<CredentialChoice>[] = kind === 's3' ? S3_CREDENTIALS : AZURE_CREDENTIALS,
  title = 'Remote credentials',
): Promise<{ credentials: Credentials; profile?: string } | undefined> {
  const how = await pick(title, choices);
  switch (how) {
    case undefined:
      return undefined;
    case 'default':
      return { credentials: {} };
    case 'profile': {
      const profile = await input({ title, prompt: 'The AWS profile name (from ~/.aws/config)', value: 'default' });
      return profile?.trim() ? { credentials: {}, profile: profile.trim() } : undefined;
    }
    case 'keys': {
      const id = await secret(title, 'Access key id (AWS_ACCESS_KEY_ID)', false);
      if (id === undefined) return undefined;
      const key = await secret(title, 'Secret access key (AWS_SECRET_ACCESS_KEY)');
      if (key === undefined) return undefined;
      return { credentials: { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: key } };
    }
    case 'connection-string': {
      const s = await secret(title, 'Connection string (AZURE_STORAGE_CONNECTION_STRING)');
      return s === undefined ? undefined : { credentials: { AZURE_STORAGE_CONNECTION_STRING: s } };
    }
    case 'sas': {
      const s = await secret(title, 'SAS token (AZURE_STORAGE_SAS_TOKEN)');
      return s === undefined ? undefined : { credentials: { AZURE_STORAGE_SAS_TOKEN: s.replace(/^\?/, '') } };
    }
  }
}

/** The absolute folder a typed path or file:// URL names, or null. */
function folderPath(typed: string): string | null {
  const s = typed.trim();
  if (s.startsWith('file://')) {
    try {
      return fileURLToPath(s);
    } catch {
      return null;
    }
  }
  return path.isAbsolute(s) ? path.normalize(s) : null;
}

async function pick<T>(title: string, items: Choice<T>[], previous?: T): Promise<T | undefined> {
  // The previous answer first, so Enter keeps it.
  const ordered = [...items.filter((i) => i.value === previous), ...items.filter((i) => i.value !== previous)];
  const picked = await vscode.window.showQuickPick(ordered, { title, ignoreFocusOut: true, matchOnDetail: true });
  return picked?.value;
}

function input(o: vscode.InputBoxOptions): Thenable<string | undefined> {
  return vscode.window.showInputBox({ ignoreFocusOut: true, ...o });
}

function secret(title: string, prompt: string, password = true): Thenable<string | undefined> {
  return input({
    title,
    prompt,
    password,
    validateInput: (s) => (s.trim() === '' ? 'required' : null),
  }).then((s) => s?.trim());
}
