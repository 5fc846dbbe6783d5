/** requirements.txt: what `pip install -r` reads. */
import type { EnvironmentInfo } from '../domain';
import { classifyPins, describeFlagged, extraIndexUrls, flaggedPins, installablePins, type Pin } from './pins';
import { describeInterpreter } from './python';

/**
 * Installable pins as live lines; the flagged ones only as comments beneath, so that
 * `pip install -r` installs everything an index has instead of failing on the first it has not.
 */
export function toRequirements(env: EnvironmentInfo): string {
  const pins = classifyPins(env);
  const lines = [`# ${describeInterpreter(env)}`];
  for (const url of extraIndexUrls(pins)) lines.push(`--extra-index-url ${url}`);
  for (const pin of installablePins(pins)) lines.push(pin.requirement);
  lines.push(...flaggedBlock(flaggedPins(pins)));
  return lines.join('\n') + '\n';
}

function flaggedBlock(flagged: readonly Pin[]): string[] {
  if (flagged.length === 0) return [];
  return ['', '# Not pinned: no package index has these builds.', ...flagged.map((p) => `# ${describeFlagged(p)}`)];
}
