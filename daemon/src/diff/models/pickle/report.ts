/**
 * How a scan is told: the summary's `globals`, `pickleVerdict` and `pickleIssues`, facts that
 * diff well ("dangerous globals", "suspicious globals") and warnings that say what loading
 * would do. Shared by plain pickles, joblib, torch archives and legacy torch files.
 */
import type { ModelSummary } from '../../../../../shared/src/diff';
import type { PickleVerdict } from './safety';
import type { GlobalRef, Issue } from './state';
import { listNames } from '../../../../../shared/src/listNames';

export interface ScanReport {
  protocol?: number;
  pickles?: number;
  globals: readonly GlobalRef[];
  calls: readonly string[];
  issues: readonly Issue[];
  warnings: readonly string[];
  verdict: PickleVerdict;
}

export type PickleFields = Required<Pick<ModelSummary, 'globals' | 'pickleVerdict'>> &
  Pick<ModelSummary, 'pickleIssues'>;

/** `a.B, c.D +3 more`: lists of names kept to a readable fact. */
function issueWarning(i: Issue): string {
  if (i.level === 'dangerous') return `${i.text}, which would execute code when loaded`;
  if (i.level === 'unknown') return `${i.text} (pickle verdict unknown: treat it as unsafe)`;
  return i.text;
}

/** Facts and warnings for a scan, and the summary fields it gives. */
export function reportScan(scan: ScanReport, facts: Record<string, string>, warnings: string[]): PickleFields {
  if (scan.protocol !== undefined) facts['pickle protocol'] = String(scan.protocol);
  if (scan.pickles !== undefined && scan.pickles > 1) facts['pickles'] = String(scan.pickles);
  warnings.push(...scan.warnings);
  const named = (level: GlobalRef['level']): string[] =>
    scan.globals.filter((g) => g.level === level).map((g) => `${g.module}.${g.name}`);
  const dangerous = named('dangerous');
  const suspicious = named('suspicious');
  if (dangerous.length > 0) facts['dangerous globals'] = dangerous.join(', ');
  if (suspicious.length > 0) facts['suspicious globals'] = listNames(suspicious);
  for (const g of dangerous) warnings.push(`${g} would execute code when loaded`);
  for (const call of scan.calls) warnings.push(`loading would call ${call}`);
  for (const i of scan.issues) warnings.push(issueWarning(i));
  const fields: PickleFields = { globals: [...scan.globals], pickleVerdict: scan.verdict };
  if (scan.issues.length > 0) fields.pickleIssues = [...scan.issues];
  return fields;
}
