/**
 * Keras .keras archives, two ways per input: as the whole zip, and as the config.json of a
 * well-formed archive (with metadata.json and a weights entry), which reaches the config reading
 * that a mutated zip (whose CRCs break) rarely does.
 */
import { BufferSource } from '../../../daemon/src/diff/models/FileSource';
import { parseKerasZip } from '../../../daemon/src/diff/models/Keras';
import { ZipArchive } from '../../../daemon/src/diff/models/Zip';
import { expectParsed, fixtureBytes } from '../harness';
import { OPTIONS, useModel } from '../support/models';
import { storedZip } from '../support/zipWriter';

const file = 'input.keras';
const METADATA = Buffer.from('{"keras_version": "3.4.1", "date_saved": "2024-07-01@12:00:00"}');

async function parseWhole(data: Buffer): Promise<void> {
  const model = await expectParsed(file, async () =>
    parseKerasZip(await ZipArchive.open(new BufferSource(file, data), OPTIONS.caps), OPTIONS),
  );
  await useModel(file, model);
}

export async function fuzz(data: Buffer): Promise<void> {
  await parseWhole(data);
  await parseWhole(
    storedZip([
      ['metadata.json', METADATA],
      ['config.json', data],
      ['model.weights.h5', Buffer.alloc(64)],
    ]),
  );
}

export async function seeds(): Promise<Buffer[]> {
  const archives = fixtureBytes(['test/fixtures/models'], (f) => f.endsWith('.keras'));
  const configs: Buffer[] = [];
  for (const k of archives) {
    const zip = await ZipArchive.open(new BufferSource('seed.keras', k), OPTIONS.caps);
    const entry = zip.find('config.json');
    if (entry) configs.push(await zip.read(entry));
  }
  return [...archives, ...configs];
}
