/** What the model-file targets share: default caps, and the on-demand tensor hashes. */
import * as fs from 'node:fs';
import { resolveOptions, type ParseOptions } from '../../../daemon/src/diff/models/FileSource';
import type { ParsedModel } from '../../../daemon/src/diff/models/types';
import { assertSerializable, expectParsed } from '../harness';

/** The caps the daemon runs with: a finding under them is one users can hit. */
export const OPTIONS: ParseOptions = resolveOptions(undefined);

/** Tensors hashed per input at most: enough to reach the hashing paths, not to dominate time. */
const HASHED_TENSORS = 8;

/** Checks a parse result as the daemon uses it: sent as JSON, tensor bytes hashed on request. */
export async function useModel(file: string, model: ParsedModel | undefined): Promise<void> {
  if (!model) return;
  assertSerializable(model.summary);
  let n = 0;
  for (const hash of model.content?.values() ?? []) {
    if (n++ >= HASHED_TENSORS) break;
    await expectParsed(file, hash);
  }
}

/** Writes the input where a path-taking parser will open it. */
export function writeInput(file: string, data: Buffer): void {
  fs.writeFileSync(file, data);
}
