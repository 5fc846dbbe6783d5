/** GGUF: header counts, typed key/values (arrays included), tensor infos and extents. */
import { parseGguf } from '../../../daemon/src/diff/models/Gguf';
import { expectParsed, fixtureBytes, scratchFile } from '../harness';
import { OPTIONS, useModel, writeInput } from '../support/models';

const file = scratchFile('input.gguf');

export async function fuzz(data: Buffer): Promise<void> {
  writeInput(file, data);
  await useModel(file, await expectParsed(file, () => parseGguf(file, OPTIONS)));
}

export function seeds(): Buffer[] {
  return fixtureBytes(['test/fixtures/models'], (f) => f.endsWith('.gguf'));
}
