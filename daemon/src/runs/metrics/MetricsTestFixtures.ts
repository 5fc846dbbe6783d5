/** What the metrics readers' tests share: the fixture folder and assertions on results. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlsnapError } from '../../../../shared/src/errors';
import type { MetricsFile, ParsedMetric } from './MetricsFile';

export const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'metrics');

export function fixtureBytes(relPath: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, relPath));
}

/** Every fixture file, as project-relative paths (the fixture folder standing for a project). */
export function fixturePaths(dir = ''): string[] {
  return fs
    .readdirSync(path.join(FIXTURES, dir), { withFileTypes: true })
    .flatMap((e) => {
      const rel = dir === '' ? e.name : `${dir}/${e.name}`;
      return e.isDirectory() ? fixturePaths(rel) : [rel];
    })
    .sort();
}

export function metricOf(file: MetricsFile, name: string): ParsedMetric {
  const m = file.metrics.find((x) => x.name === name);
  assert.ok(m, `no metric ${name} in ${file.metrics.map((x) => x.name).join(', ')}`);
  return m;
}

export function names(file: MetricsFile): string[] {
  return file.metrics.map((m) => m.name);
}

/** The last value of a metric. */
export function finalOf(file: MetricsFile, name: string): number {
  const m = metricOf(file, name);
  return m.values[m.values.length - 1] as number;
}

/** `read()` throws MlsnapError('invalid-file') naming `relPath` (and matching `problem` when given). */
export function assertInvalidFile(read: () => unknown, relPath: string, problem?: RegExp): MlsnapError {
  let caught: unknown;
  try {
    read();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof MlsnapError, `expected an MlsnapError, got ${String(caught)}`);
  assert.equal(caught.kind, 'invalid-file');
  assert.equal(caught.path, relPath);
  assert.ok(caught.message.startsWith(`${relPath}: `), caught.message);
  if (problem) assert.match(caught.message, problem);
  return caught;
}
