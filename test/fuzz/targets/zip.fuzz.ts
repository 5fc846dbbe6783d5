/** Zip: the end records (zip64 too), the central directory, and reading / hashing entries. */
import { BufferSource } from '../../../daemon/src/diff/models/FileSource';
import { ZipArchive } from '../../../daemon/src/diff/models/Zip';
import { expectParsed, fixtureBytes } from '../harness';
import { OPTIONS } from '../support/models';

const file = 'input.zip';
/** Entries read per input at most. */
const READ_ENTRIES = 16;

export async function fuzz(data: Buffer): Promise<void> {
  const zip = await expectParsed(file, () => ZipArchive.open(new BufferSource(file, data), OPTIONS.caps));
  if (!zip) return;
  for (const entry of zip.entries.slice(0, READ_ENTRIES)) {
    zip.find(entry.name);
    await expectParsed(file, () => zip.read(entry));
    await expectParsed(file, () => zip.hash(entry, 1, 3));
  }
}

export function seeds(): Buffer[] {
  return fixtureBytes(['test/fixtures/models'], (f) => /\.(pt|keras)$/.test(f) && !f.endsWith('legacy.pt'));
}
