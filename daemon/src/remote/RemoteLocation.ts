import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultAzureCredential } from '@azure/identity';
import { MlsnapError } from '../../../shared/src/errors';
import { AzureBackend } from './backends/AzureBackend';
import { FolderBackend } from './backends/FolderBackend';
import type { RemoteBackend } from './backends/RemoteBackend';
import { S3Backend } from './backends/S3Backend';

/** A remote's settings beside its URL; none of them is a secret. */
export interface RemoteSettings {
  /** An S3-compatible endpoint (MinIO, R2, GCS XML API) or an Azure blob endpoint (Azurite). */
  endpoint?: string;
  region?: string;
  /** A profile of ~/.aws/config. */
  profile?: string;
  /** S3 path-style addressing; default: on when an endpoint is set. */
  pathStyle?: boolean;
}

export type RemoteLocation =
  | ({ kind: 's3'; bucket: string; prefix: string } & RemoteSettings)
  | ({ kind: 'azure'; account: string; container: string; prefix: string } & RemoteSettings)
  | { kind: 'folder'; path: string };

/**
 * Credentials handed to the daemon for one call or one remote (the CLI's environment, the
 * editor's SecretStorage): kept in memory, never written. Names are the SDKs' own variables.
 */
export type RemoteCredentials = Readonly<Record<string, string>>;

const FORMS = 's3://bucket/prefix, azure://account/container/prefix, file:///absolute/path or a plain path';

/** Parse a remote URL; `cwd` resolves a relative plain path. */
export function parseRemoteUrl(url: string, settings: RemoteSettings = {}, cwd = process.cwd()): RemoteLocation {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (s3) {
    const bucket = s3[1] as string;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
      throw bad(url, `"${bucket}" is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)`);
    return { kind: 's3', bucket, prefix: cleanPrefix(url, s3[2] as string), ...settings };
  }
  const az = /^azure:\/\/([^/]+)\/([^/]+)\/?(.*)$/.exec(url);
  if (az) {
    const container = az[2] as string;
    if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(container))
      throw bad(url, `"${container}" is not an Azure container name (3-63 lower-case letters, digits and hyphens)`);
    return {
      kind: 'azure',
      account: az[1] as string,
      container,
      prefix: cleanPrefix(url, az[3] as string),
      ...settings,
    };
  }
  if (url.startsWith('azure://')) throw bad(url, 'an Azure remote names its account and container');
  if (url.startsWith('file://')) return { kind: 'folder', path: fileURLToPath(url) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw bad(url, `remotes are ${FORMS}`);
  if (url === '') throw bad(url, `remotes are ${FORMS}`);
  return { kind: 'folder', path: path.resolve(cwd, url) };
}

function cleanPrefix(url: string, prefix: string): string {
  const p = prefix.replace(/\/+$/, '');
  if (p.split('/').some((seg) => seg === '' || seg === '.' || seg === '..') && p !== '')
    throw bad(url, 'the prefix must be folder names separated by single slashes');
  return p;
}

function bad(url: string, why: string): MlsnapError {
  return new MlsnapError('bad-request', `remote URL ${JSON.stringify(url)}: ${why}`);
}

/** The URL users see and the daemon stores (a plain path becomes file://). */
export function locationUrl(loc: RemoteLocation): string {
  switch (loc.kind) {
    case 's3':
      return `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ''}`;
    case 'azure':
      return `azure://${loc.account}/${loc.container}${loc.prefix ? `/${loc.prefix}` : ''}`;
    case 'folder':
      return `file://${loc.path}`;
  }
}

/** A backend for the location, with credentials from `creds` first, else the SDK's default chain. */
export function openBackend(loc: RemoteLocation, creds: RemoteCredentials): RemoteBackend {
  switch (loc.kind) {
    case 's3':
      return openS3(loc, creds);
    case 'azure':
      return openAzure(loc, creds);
    case 'folder':
      return new FolderBackend(loc.path, { create: false });
  }
}

function openS3(loc: Extract<RemoteLocation, { kind: 's3' }>, creds: RemoteCredentials): S3Backend {
  const endpoint = loc.endpoint ?? creds['AWS_ENDPOINT_URL_S3'] ?? creds['AWS_ENDPOINT_URL'];
  const keyId = creds['AWS_ACCESS_KEY_ID'];
  const secret = creds['AWS_SECRET_ACCESS_KEY'];
  const sessionToken = creds['AWS_SESSION_TOKEN'];
  const region = loc.region ?? creds['AWS_REGION'] ?? creds['AWS_DEFAULT_REGION'];
  const profile = loc.profile ?? creds['AWS_PROFILE'];
  return new S3Backend({
    bucket: loc.bucket,
    prefix: loc.prefix,
    ...(region !== undefined ? { region } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    forcePathStyle: loc.pathStyle ?? endpoint !== undefined,
    ...(profile !== undefined && keyId === undefined ? { profile } : {}),
    ...(keyId !== undefined && secret !== undefined
      ? { credentials: { accessKeyId: keyId, secretAccessKey: secret, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
  });
}

function openAzure(loc: Extract<RemoteLocation, { kind: 'azure' }>, creds: RemoteCredentials): AzureBackend {
  const conn = creds['AZURE_STORAGE_CONNECTION_STRING'];
  const endpoint = (
    loc.endpoint ??
    creds['AZURE_STORAGE_BLOB_ENDPOINT'] ??
    `https://${loc.account}.blob.core.windows.net`
  ).replace(/\/$/, '');
  const sas = creds['AZURE_STORAGE_SAS_TOKEN'];
  if (conn !== undefined)
    return new AzureBackend({ connectionString: conn, container: loc.container, prefix: loc.prefix });
  if (sas !== undefined) {
    return new AzureBackend({
      containerSasUrl: `${endpoint}/${loc.container}?${sas.replace(/^\?/, '')}`,
      prefix: loc.prefix,
    });
  }
  return new AzureBackend({
    accountUrl: endpoint,
    credential: new DefaultAzureCredential(),
    container: loc.container,
    prefix: loc.prefix,
  });
}
