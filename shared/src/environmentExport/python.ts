/** The recorded interpreter, as every export format names it. */
import type { EnvironmentInfo } from '../domain';
import { oneLine } from './comment';

/**
 * `platform.python_version()` as recorded (`3.11.2`, `3.13.0rc1`), or null when no interpreter
 * was found or the string is not a CPython version (then formats fall back to "some python 3").
 */
export function pythonVersion(env: EnvironmentInfo): string | null {
  const v = env.interpreter?.version.trim() ?? '';
  return /^\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?$/.test(v) ? v : null;
}

/** `3.11` of `3.11.2`: what conda and requires-python pin, since patch releases are compatible. */
export function pythonMinor(env: EnvironmentInfo): string | null {
  const m = /^(\d+)\.(\d+)/.exec(pythonVersion(env) ?? '');
  return m ? `${m[1]}.${m[2]}` : null;
}

/** `python 3.11.2 (/usr/bin/python3)`, for a comment: which interpreter the export reproduces. */
export function describeInterpreter(env: EnvironmentInfo): string {
  return oneLine(
    `python ${env.interpreter?.version ?? 'unknown'} (${env.interpreter?.executable ?? 'interpreter not found'})`,
  );
}
