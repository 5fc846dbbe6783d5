/**
 * The parameters in a config file a run read: YAML or JSON, nested mappings flattened with dots
 * (`model.depth`) the way run comparisons line them up, lists kept whole as values. Hydra's
 * `.hydra/overrides.yaml` is a list of override strings and is read as overrides.
 */
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { jsonNestingExceeds, yamlNestingExceeds } from '../../diff/nesting';
import { MlsnapError } from '../../../../shared/src/errors';
import type { ParamValue, RunParam } from '../../../../shared/src/runs';
import { parseOverride } from './Overrides';

type Format = 'yaml' | 'json';

function formatOf(relPath: string): Format | null {
  const ext = path.extname(relPath).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return ext === '.json' ? 'json' : null;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? message).replace(/:\s*$/, '');
}

function parseDocument(relPath: string, text: string): unknown {
  const format = formatOf(relPath);
  if (format === null) throw new MlsnapError('invalid-file', `${relPath} is not a YAML or JSON config file`, relPath);
  // The yaml package, and the flattening below, recurse per level: a deep file would overflow the stack.
  const tooDeep = (): MlsnapError =>
    new MlsnapError('invalid-file', `${relPath} nests deeper than a config file does; not read`, relPath);
  if (format === 'yaml' && yamlNestingExceeds(text)) throw tooDeep();
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new MlsnapError(
      'invalid-file',
      `${relPath} is not valid ${format.toUpperCase()}: ${firstLine(err)}`,
      relPath,
    );
  }
  if (jsonNestingExceeds(doc)) throw tooDeep();
  return doc;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * A parsed value as JSON can hold it: `.inf`/`.nan` and dates become strings, and objects are
 * rebuilt with own properties only, so a key `__proto__` stays a key.
 */
function paramValue(value: unknown): ParamValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) || value instanceof Set) return [...value].map(paramValue);
  if (value instanceof Map) return paramValue(Object.fromEntries(value));
  if (typeof value === 'object') {
    const out: { [key: string]: ParamValue } = {};
    for (const [key, v] of Object.entries(value)) {
      Object.defineProperty(out, key, { value: paramValue(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return String(value);
}

function flatten(mapping: Record<string, unknown>, prefix: string, source: string, out: RunParam[]): void {
  for (const [key, value] of Object.entries(mapping)) {
    const name = prefix + key;
    // An empty mapping has no leaves to flatten into: it stays one parameter, `{}`.
    if (isMapping(value) && !(value instanceof Map) && Object.keys(value).length > 0) {
      flatten(value, `${name}.`, source, out);
    } else {
      out.push({ name, value: paramValue(value), source });
    }
  }
}

/** Hydra writes what the command line overrode, one override per item: `- optimizer.lr=0.01`. */
function isHydraOverrides(relPath: string, doc: unknown): doc is unknown[] {
  const parts = relPath.split(/[\\/]/);
  return parts.at(-1) === 'overrides.yaml' && parts.at(-2) === '.hydra' && Array.isArray(doc);
}

function overrideParams(items: unknown[], source: string): RunParam[] {
  return items.flatMap((item) => {
    const override = typeof item === 'string' ? parseOverride(item) : null;
    return override === null || override.deletion ? [] : [{ name: override.name, value: override.value, source }];
  });
}

/**
 * A config file's parameters, by extension (.yaml/.yml/.json): nested mappings flattened with
 * dots, lists kept as values, source the relative path; an empty file or a root that is not a
 * mapping has none. Throws MlsnapError('invalid-file') on a file that does not parse.
 */
export function configFileParams(relPath: string, text: string): RunParam[] {
  const doc = parseDocument(relPath, text);
  if (isHydraOverrides(relPath, doc)) return overrideParams(doc, relPath);
  const out: RunParam[] = [];
  if (isMapping(doc)) flatten(doc, '', relPath, out);
  return out;
}
