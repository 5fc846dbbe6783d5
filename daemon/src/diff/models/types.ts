import type { ModelSummary } from '../../../../shared/src/diff';

/** What a format parser returns: the summary, plus how to hash each tensor's bytes. */
export interface ParsedModel {
  summary: ModelSummary;
  /** Tensor name → BLAKE3 of its bytes, read on demand (compareBytes). */
  content?: Map<string, () => Promise<string>>;
}
