import { asRecord } from '../../../shared/src/check';

/** The JSON object in `text`, or null when it is not valid JSON or not an object. */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return asRecord(parsed);
}
