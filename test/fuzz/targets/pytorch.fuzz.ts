/**
 * PyTorch torch.save files, two ways per input: as the whole file (a zip archive, or the legacy
 * pickle sequence), and as the data.pkl of a well-formed archive with storages, which reaches the
 * tensor and storage checks that a mutated zip (whose CRCs break) rarely does.
 */
import { withFile } from '../../../daemon/src/diff/models/FileSource';
import { isLegacyTorch, parseLegacyTorch, parsePyTorchZip } from '../../../daemon/src/diff/models/PyTorch';
import { ZipArchive } from '../../../daemon/src/diff/models/Zip';
import { expectParsed, fixtureBytes, scratchFile } from '../harness';
import { OPTIONS, useModel, writeInput } from '../support/models';
import { storedZip } from '../support/zipWriter';
import { seeds as pickleSeeds } from './pickle.fuzz';

const file = scratchFile('input.pt');
/** Storages of the wrapping archive: keys 0..7 (what small models' pickles name), 4 KiB each. */
const STORAGES: [string, Buffer][] = Array.from({ length: 8 }, (_, i) => [`archive/data/${i}`, Buffer.alloc(4096, i)]);

async function parseWhole(data: Buffer): Promise<void> {
  writeInput(file, data);
  const model = await expectParsed(file, () =>
    isLegacyTorch(data)
      ? parseLegacyTorch(file, OPTIONS)
      : withFile(file, undefined, async (src) => parsePyTorchZip(await ZipArchive.open(src, OPTIONS.caps), OPTIONS)),
  );
  await useModel(file, model);
}

export async function fuzz(data: Buffer): Promise<void> {
  await parseWhole(data);
  await parseWhole(storedZip([['archive/version', Buffer.from('3\n')], ['archive/data.pkl', data], ...STORAGES]));
}

export async function seeds(): Promise<Buffer[]> {
  return [
    ...fixtureBytes(['test/fixtures/models', 'test/fixtures/pickles'], (f) => f.endsWith('.pt')),
    ...(await pickleSeeds()),
  ];
}
