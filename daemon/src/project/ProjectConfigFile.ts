import * as fs from 'node:fs';
import * as path from 'node:path';
import { arrayOf, int, obj, oneOf, optional, str } from '../../../shared/src/check';
import { defaultConfig, type ProjectConfig } from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';

/** The shape of `.mlsnap/config.json`: every key optional (defaults fill the rest). */
const CONFIG_SHAPE = obj({
  interpreter: optional(str),
  include: optional(arrayOf(str)),
  exclude: optional(arrayOf(str)),
  watcher: optional(oneOf('parcel', 'polling')),
  settleMs: optional(int(10)),
  envTimeoutMs: optional(int(100)),
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
