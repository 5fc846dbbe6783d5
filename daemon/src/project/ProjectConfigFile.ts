import * as fs from 'node:fs';
import * as path from 'node:path';
import { arrayOf, int, obj, oneOf, optional, record, str, type Check } from '../../../shared/src/check';
import { GATE_NAMES, STAGE_NAME, type StageGateConfig } from '../../../shared/src/release';
import { defaultConfig, type ProjectConfig } from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';

const stageGate = obj({
  gates: arrayOf(oneOf(...GATE_NAMES)),
  metric: optional(obj({ name: str, direction: optional(oneOf('higher', 'lower')) })),
});

/** `"stages": {"production": {"gates": [...], "metric": {...}}}`: stage names as the protocol allows them. */
const stageGates: Check<Record<string, StageGateConfig>> = (v, field) => {
  const out: Record<string, StageGateConfig> = {};
  for (const [stage, rule] of Object.entries(record(v, field))) {
    if (!STAGE_NAME.test(stage))
      throw new MlsnapError(
        'bad-request',
        `"${field}.${stage}" is not a stage name (lower-case letters, digits, ".", "_", "-")`,
      );
    out[stage] = stageGate(rule, `${field}.${stage}`);
  }
  return out;
};

/** The shape of `.mlsnap/config.json`: every key optional (defaults fill the rest). */
const CONFIG_SHAPE = obj({
  interpreter: optional(str),
  include: optional(arrayOf(str)),
  exclude: optional(arrayOf(str)),
  watcher: optional(oneOf('parcel', 'polling')),
  settleMs: optional(int(10)),
  envTimeoutMs: optional(int(100)),
  stages: optional(stageGates),
});

/**
 * Read and check a project's config file. A user edits this file by hand, so every problem
 * is one sentence naming the file, the key and what it must be; keys it does not know are
 * kept out of the config in force.
 */
export function readConfigFile(file: string): ProjectConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new MlsnapError('not-found', `${file} is missing; run \`mlsnap init\``, file);
    throw new MlsnapError('bad-request', `${file} is not valid JSON (${(e as Error).message}); fix or delete it`, file);
  }
  let checked;
  try {
    checked = CONFIG_SHAPE(raw, 'config');
  } catch (e) {
    throw new MlsnapError('bad-request', `${file}: ${(e as Error).message.replace(/"config\./, '"')}`, file);
  }
  if (checked.interpreter !== undefined && !path.isAbsolute(checked.interpreter)) {
    throw new MlsnapError(
      'bad-request',
      `${file}: "interpreter" must be an absolute path, not ${checked.interpreter}`,
      file,
    );
  }
  return { ...defaultConfig(), ...checked };
}
