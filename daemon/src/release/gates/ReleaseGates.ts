import type { EnvironmentInfo, VersionInfo } from '../../../../shared/src/domain';
import type { GateName, GateResult, StageGateConfig, StageTarget } from '../../../../shared/src/release';
import type { RunSummary } from '../../../../shared/src/runs';
import { betterDirection } from '../../diff/metrics/MetricsDiff';
import { assessModelFile, scanContent, type Finding } from '../../gate/SecretGate';

/**
 * What the gates look at, gathered by the caller (ReleaseService) so each gate is a plain
 * function of facts: the version, its environment, the model file on disk (materialized,
 * never loaded), the notebook that produced it and the run that wrote it.
 */
export interface GateSubject {
  version: VersionInfo;
  environment: EnvironmentInfo | null;
  /** A file holding the model's bytes. */
  modelFile: string;
  /** The notebook (or script) version that produced the model, when lineage or a run names one. */
  producer: { version: VersionInfo; bytes: Buffer } | null;
  run: RunSummary | null;
}

/** Each named gate in order; a gate that cannot run (a parser failure) fails, never passes. */
export async function runGates(
  config: StageGateConfig,
  subject: GateSubject,
  current: StageTarget | null,
): Promise<GateResult[]> {
  const results: GateResult[] = [];
  for (const gate of config.gates) results.push(await runGate(gate, config, subject, current));
  return results;
}

async function runGate(
  gate: GateName,
  config: StageGateConfig,
  s: GateSubject,
  current: StageTarget | null,
): Promise<GateResult> {
  try {
    switch (gate) {
      case 'environment':
        return environmentGate(s);
      case 'pickle':
        return await pickleGate(s);
      case 'secrets':
        return secretsGate(s);
      case 'metric':
        return metricGate(config, s, current);
    }
  } catch (e) {
    return { gate, passed: false, message: `could not be checked (${(e as Error).message}); treated as failed` };
  }
}

function label(v: VersionInfo): string {
  return `${v.path}@${v.seq}`;
}

function environmentGate(s: GateSubject): GateResult {
  const env = s.environment;
  if (env === null)
    return { gate: 'environment', passed: false, message: `${label(s.version)} was recorded without an environment` };
  if (!env.complete)
    return {
      gate: 'environment',
      passed: false,
      message: `the environment of ${label(s.version)} is incomplete (${env.incompleteReason ?? 'no reason recorded'})`,
    };
  const python = env.interpreter === null ? 'no interpreter' : `Python ${env.interpreter.version}`;
  return {
    gate: 'environment',
    passed: true,
    message: `captured completely: ${python}, ${env.packages.length} packages`,
  };
}

/** Dangerous and unknown fail; suspicious classes pass, named in the message. */
async function pickleGate(s: GateSubject): Promise<GateResult> {
  const { findings, suspicious } = await assessModelFile(s.version.path, s.modelFile);
  if (findings.length > 0) return { gate: 'pickle', passed: false, message: findings.map((f) => f.message).join(' ') };
  if (suspicious.length > 0) {
    const shown =
      suspicious.slice(0, 3).join(', ') + (suspicious.length > 3 ? ` and ${suspicious.length - 3} more` : '');
    return {
      gate: 'pickle',
      passed: true,
      message: `no pickled global that would execute code on load; note: loading rebuilds ${suspicious.length} class${suspicious.length === 1 ? '' : 'es'} whose own code runs (suspicious, not blocking): ${shown}`,
    };
  }
  return { gate: 'pickle', passed: true, message: 'no pickled global that would execute code on load' };
}

function secretsGate(s: GateSubject): GateResult {
  if (s.producer === null)
    return { gate: 'secrets', passed: true, message: 'no producing notebook is recorded, so there is none to scan' };
  const p = s.producer.version;
  const findings = scanContent(p.path, 'notebook', s.producer.bytes);
  if (findings.length === 0)
    return { gate: 'secrets', passed: true, message: `the producing notebook ${label(p)} passed the secret scan` };
  const shown = findings.slice(0, 3).map(findingPlace).join('; ');
  const more = findings.length > 3 ? ` and ${findings.length - 3} more` : '';
  return {
    gate: 'secrets',
    passed: false,
    message: `the producing notebook ${label(p)} holds ${findings.length} possible secret${findings.length === 1 ? '' : 's'}: ${shown}${more}`,
  };
}

function findingPlace(f: Finding): string {
  const cell = f.cell === undefined ? '' : `cell ${f.cell}${f.where === 'output' ? ' output' : ''}, `;
  return `${cell}line ${f.line}: ${f.rule} (${f.excerpt})`;
}

/** `higher` or `lower` is better: configured, else from the name (loss down, accuracy up). */
function directionOf(config: StageGateConfig, name: string): 'higher' | 'lower' | null {
  if (config.metric?.name === name && config.metric.direction !== undefined) return config.metric.direction;
  const d = betterDirection(name);
  return d === null ? null : d === 'up' ? 'higher' : 'lower';
}

/** The headline: the configured metric, else a validation/test metric both share, else any shared one. */
function headline(
  config: StageGateConfig,
  mine: Record<string, number>,
  theirs: Record<string, number>,
): string | null {
  if (config.metric !== undefined) return config.metric.name;
  const shared = Object.keys(mine)
    .filter((n) => n in theirs && betterDirection(n) !== null)
    .sort();
  return shared.find((n) => /(^|[^a-z])(val|valid|validation|test|eval)([^a-z]|$)/i.test(n)) ?? shared[0] ?? null;
}

export function finalMetrics(run: RunSummary | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of run?.metrics ?? []) if (m.final !== null) out[m.name] = m.final;
  return out;
}

function metricGate(config: StageGateConfig, s: GateSubject, current: StageTarget | null): GateResult {
  const gate = 'metric';
  if (current === null) return { gate, passed: true, message: 'the stage holds no version to compare with' };
  const mine = finalMetrics(s.run);
  const theirs = current.run?.metrics ?? {};
  const name = headline(config, mine, theirs);
  if (name === null) return { gate, passed: true, message: 'no metric recorded for both versions to compare' };
  const now = theirs[name];
  if (now === undefined) return { gate, passed: true, message: `the stage's version recorded no ${name}` };
  const candidate = mine[name];
  if (candidate === undefined)
    return { gate, passed: false, message: `${label(s.version)} has no ${name} to compare with the stage's ${now}` };
  const direction = directionOf(config, name);
  if (direction === null)
    return {
      gate,
      passed: false,
      message: `which way ${name} is better is unknown; set "direction" for it in the stage's config`,
    };
  const worse = direction === 'lower' ? candidate > now : candidate < now;
  const verdict = `${name} ${candidate} vs ${now} now (${direction} is better)`;
  return worse
    ? { gate, passed: false, message: `${verdict}: worse` }
    : { gate, passed: true, message: `${verdict}: not worse` };
}
