import { MlsnapError } from '../../../shared/src/errors';
import type { RemoteLocation } from './RemoteLocation';
import { locationUrl } from './RemoteLocation';

/** The fields the AWS and Azure SDKs put on their errors. */
interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  statusCode?: number;
  $metadata?: { httpStatusCode?: number };
  cause?: { code?: string; message?: string };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * One sentence naming the remote and the fix, for any failure of an SDK or a mount (detail
 * goes to the daemon log). Local disk trouble stays `io`: it is this machine's to fix.
 */
export function remoteError(name: string, loc: RemoteLocation, e: unknown): MlsnapError {
  if (e instanceof MlsnapError) return e;
  const err = (e ?? {}) as SdkError;
  const where = `remote ${name} (${locationUrl(loc)})`;
  const status = err.$metadata?.httpStatusCode ?? err.statusCode;
  const code = err.code ?? err.cause?.code ?? err.name ?? '';
  const msg = err.message ?? String(e);
  if (loc.kind === 'folder') return folderError(where, loc.path, err, msg);
  if (NETWORK_CODES.has(code) || /fetch failed|socket hang up|connect ECONNREFUSED|getaddrinfo/i.test(msg)) {
    return new MlsnapError('remote', `${where} cannot be reached (${code || msg}): check the network and the endpoint`);
  }
  if (/credential|Could not load credentials|no.*token/i.test(`${err.name ?? ''} ${msg}`) && status === undefined) {
    return new MlsnapError('remote', `${where}: no credentials found (${msg}). ${credentialHint(loc)}`);
  }
  if (code === 'NoSuchBucket' || code === 'ContainerNotFound' || (status === 404 && /bucket|container/i.test(msg))) {
    const what = loc.kind === 's3' ? `bucket ${loc.bucket}` : `container ${loc.container}`;
    return new MlsnapError(
      'remote',
      `${where}: ${what} does not exist; fix the URL or run \`mlsnap remote add ${name} <url> --create\``,
    );
  }
  if (
    status === 401 ||
    status === 403 ||
    /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|AuthorizationFailure|AuthenticationFailed/.test(code)
  ) {
    return new MlsnapError('remote', `${where} refused access (${code || status}): ${credentialHint(loc)}`);
  }
  return new MlsnapError('remote', `${where} failed: ${code ? `${code}: ` : ''}${msg}`);
}

function folderError(where: string, root: string, err: SdkError, msg: string): MlsnapError {
  switch (err.code) {
    case 'ENOENT':
      return new MlsnapError(
        'remote',
        `${where}: ${root} does not exist; mount it, fix the path, or add it with --create`,
        root,
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new MlsnapError(
        'remote',
        `${where}: ${root} is not writable (${err.code}); fix its permissions or mount`,
        root,
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return new MlsnapError('remote', `${where}: the disk of ${root} is full (${err.code}); free space there`, root);
    default:
      return new MlsnapError('remote', `${where} failed: ${msg}`, root);
  }
}

function credentialHint(loc: RemoteLocation): string {
  switch (loc.kind) {
    case 's3':
      return 'set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or add the remote with --profile; the key needs s3:GetObject, s3:PutObject and s3:ListBucket';
    case 'azure':
      return 'set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_SAS_TOKEN, or sign in with `az login` (DefaultAzureCredential); the identity needs Storage Blob Data Contributor';
    case 'folder':
      return 'check the folder';
  }
}
