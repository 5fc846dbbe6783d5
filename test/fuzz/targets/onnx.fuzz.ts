/** ONNX: the protobuf walk of ModelProto / GraphProto, the decoded messages, initializer hashes. */
import { parseOnnx } from '../../../daemon/src/diff/models/Onnx';
import { expectParsed, fixtureBytes, scratchFile } from '../harness';
import { OPTIONS, useModel, writeInput } from '../support/models';

const file = scratchFile('input.onnx');

export async function fuzz(data: Buffer): Promise<void> {
  writeInput(file, data);
  await useModel(file, await expectParsed(file, () => parseOnnx(file, OPTIONS)));
}

export function seeds(): Buffer[] {
  return fixtureBytes(['test/fixtures/models'], (f) => f.endsWith('.onnx'));
}
