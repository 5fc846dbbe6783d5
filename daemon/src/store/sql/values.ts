import { TRIGGERS, type Trigger } from '../../../../shared/src/domain';
import { MlsnapError } from '../../../../shared/src/errors';
import { FILE_KINDS, type FileKind } from '../../../../shared/src/fileKinds';
import { BLOB_ENCODINGS, type BlobEncoding } from '../blobs/ContentStore';

/**
 * Enumerated columns are checked here, not by CHECK constraints (dropped in migration 3):
 * a new trigger or file kind is then a change to the lists in shared/, not a table rebuild.
 * Every write of such a column goes through one of these.
 */
export function assertTrigger(value: string): asserts value is Trigger {
  assertOneOf('trigger', value, TRIGGERS);
}

export function assertFileKind(value: string): asserts value is FileKind {
  assertOneOf(
    'file kind',
    value,
    FILE_KINDS.map((k) => k.kind),
  );
}

export function assertEncoding(value: string): asserts value is BlobEncoding {
  assertOneOf('blob encoding', value, BLOB_ENCODINGS);
}

function assertOneOf(what: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) {
    throw new MlsnapError(
      'bad-request',
      `unknown ${what} ${JSON.stringify(value)}; expected one of ${allowed.join(', ')}`,
    );
  }
}
