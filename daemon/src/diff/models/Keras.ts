/**
 * Keras 3 `.keras`: a zip with config.json (the model config), metadata.json (keras version,
 * save date) and model.weights.h5 (HDF5, not parsed). Only the JSON is read, capped; nothing
 * is deserialized into layers (no Keras loading: CVE-2025-1550).
 */
import { formatBytes, invalid, type ParseOptions } from './FileSource';
import type { ParsedModel } from './types';
import type { ZipArchive } from './Zip';
import { asRecord } from '../../../../shared/src/check';
import { MAX_JSON_NESTING, jsonNestingExceeds } from '../nesting';

async function readJson(zip: ZipArchive, name: string, opts: ParseOptions): Promise<unknown> {
  const e = zip.find(name);
  if (!e) return undefined;
  const buf = await zip.read(e, opts.caps.jsonBytes);
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8')) as unknown;
  } catch (err) {
    throw invalid(zip.file, `${name} in the Keras archive is not valid JSON (${(err as Error).message})`);
  }
  // The config goes into the summary, which is sent as JSON: JSON.stringify recurses per level.
  if (jsonNestingExceeds(value))
    throw invalid(zip.file, `${name} in the Keras archive nests deeper than ${MAX_JSON_NESTING} levels`);
  return value;
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

/** "Dense units=32 activation=relu" from a layer config. */
function layerLine(layer: Record<string, unknown>): string {
  const cls = typeof layer['class_name'] === 'string' ? layer['class_name'] : '?';
  const cfg = asRecord(layer['config']) ?? {};
  const parts = [cls];
  for (const k of [
    'units',
    'filters',
    'kernel_size',
    'strides',
    'activation',
    'rate',
    'batch_shape',
    'batch_input_shape',
    'input_dim',
    'output_dim',
    'num_heads',
    'key_dim',
  ]) {
    if (cfg[k] !== undefined && cfg[k] !== null) parts.push(`${k}=${short(cfg[k])}`);
  }
  return parts.join(' ');
}

export async function parseKerasZip(zip: ZipArchive, opts: ParseOptions): Promise<ParsedModel> {
  const config = await readJson(zip, 'config.json', opts);
  if (config === undefined) throw invalid(zip.file, 'not a Keras archive: no config.json in the zip');
  const cfg = asRecord(config);
  if (!cfg) throw invalid(zip.file, 'config.json in the Keras archive is not a JSON object');
  const facts: Record<string, string> = {};
  const warnings: string[] = [];
  const meta = asRecord(await readJson(zip, 'metadata.json', opts));
  if (meta) {
    if (meta['keras_version'] !== undefined) facts['keras_version'] = short(meta['keras_version']);
    if (meta['date_saved'] !== undefined) facts['date_saved'] = short(meta['date_saved']);
  } else {
    warnings.push('no metadata.json');
  }
  if (typeof cfg['class_name'] === 'string') facts['class_name'] = cfg['class_name'];
  const inner = asRecord(cfg['config']) ?? {};
  if (typeof inner['name'] === 'string') facts['name'] = inner['name'];
  const layers = Array.isArray(inner['layers']) ? (inner['layers'] as unknown[]) : [];
  facts['layers'] = String(layers.length);
  layers.slice(0, 1000).forEach((l, i) => {
    const layer = asRecord(l);
    if (!layer) return;
    const name =
      typeof asRecord(layer['config'])?.['name'] === 'string' ? String(asRecord(layer['config'])?.['name']) : String(i);
    facts[`layer[${i}] ${name}`] = layerLine(layer);
  });
  if (layers.length > 1000) warnings.push(`${layers.length - 1000} more layers not listed`);
  for (const e of zip.entries) {
    if (e.name.endsWith('.h5')) facts[`weights ${e.name}`] = `${formatBytes(e.uncompressedSize)} (HDF5, not parsed)`;
  }
  return { summary: { format: 'keras', size: zip.src.size, facts, tensors: [], warnings, config } };
}
