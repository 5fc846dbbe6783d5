/**
 * Pickle / joblib: the opcode walker (never unpickling), joblib's compressed containers, the
 * estimator and array summaries. Seeds: the pickle fixtures (the scanner's malicious and benign
 * samples among them), and each torch.save archive's data.pkl, which is what the walker sees
 * inside a .pt.
 */
import { BufferSource } from '../../../daemon/src/diff/models/FileSource';
import { parsePickleFile } from '../../../daemon/src/diff/models/Pickle';
import { findDataPkl } from '../../../daemon/src/diff/models/PyTorch';
import { ZipArchive } from '../../../daemon/src/diff/models/Zip';
import { expectParsed, fixtureBytes, scratchFile } from '../harness';
import { OPTIONS, useModel, writeInput } from '../support/models';

const file = scratchFile('input.pkl');

export async function fuzz(data: Buffer): Promise<void> {
  writeInput(file, data);
  await useModel(file, await expectParsed(file, () => parsePickleFile(file, OPTIONS)));
}

export async function seeds(): Promise<Buffer[]> {
  const pickles = [
    ...fixtureBytes(['test/fixtures/models'], (f) => /\.(pkl|joblib)$/.test(f) || f.endsWith('legacy.pt')),
    // The scanner's samples: every technique and compression (parsed only, never loaded).
    ...fixtureBytes(['test/fixtures/pickles'], (f) => /\.(pkl|joblib)$/.test(f)),
  ];
  const inner: Buffer[] = [];
  for (const pt of fixtureBytes(['test/fixtures/models'], (f) => /mlp_h\d+\.pt$/.test(f))) {
    const zip = await ZipArchive.open(new BufferSource('seed.pt', pt), OPTIONS.caps);
    const entry = findDataPkl(zip);
    if (entry) inner.push(await zip.read(entry));
  }
  return [...pickles, ...inner];
}
