/** safetensors: the 8-byte length, the JSON header, tensor offsets and their hashes. */
import { parseSafetensors } from '../../../daemon/src/diff/models/Safetensors';
import { expectParsed, fixtureBytes, scratchFile } from '../harness';
import { OPTIONS, useModel, writeInput } from '../support/models';

const file = scratchFile('input.safetensors');

export async function fuzz(data: Buffer): Promise<void> {
  writeInput(file, data);
  await useModel(file, await expectParsed(file, () => parseSafetensors(file, OPTIONS)));
}

export function seeds(): Buffer[] {
  return fixtureBytes(['test/fixtures/models'], (f) => f.endsWith('.safetensors'));
}
