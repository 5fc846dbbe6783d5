/**
 * Notebooks: the lenient .ipynb reader (nbformat 3 and 4) and the release gate's decoded text of
 * a notebook, which must never throw (it falls back to scanning the raw bytes).
 */
import { parseNotebook } from '../../../daemon/src/diff/notebook/parseNotebook';
import { notebookUnits } from '../../../daemon/src/gate/notebookText';
import { expectParsedSync, fixtureBytes } from '../harness';

const file = 'input.ipynb';

export function fuzz(data: Buffer): void {
  expectParsedSync(file, () => parseNotebook(data, file));
  notebookUnits(data, file);
}

export function seeds(): Buffer[] {
  return fixtureBytes(['test/fixtures/notebooks', 'examples'], (f) => f.endsWith('.ipynb'));
}
