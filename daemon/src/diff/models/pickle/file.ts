/**
 * `.pkl` / `.joblib` files: decompressed when joblib compressed them, every pickle in the
 * stream walked, then summarised: the estimator and its parameters, the arrays (with their
 * byte ranges for `compareBytes`), the globals and the verdict.
 */
import type { TensorInfo } from '../../../../../shared/src/diff';
import {
  BufferSource,
  Cursor,
  fileRangeHasher,
  formatBytes,
  hashBuffer,
  invalid,
  paramsOf,
  withFile,
  type ParseOptions,
  type Source,
} from '../FileSource';
import type { ParsedModel } from '../types';
import { compressionOf, decompress } from './compression';
import { render } from './render';
import { reportScan } from './report';
import { walkStream, type PickleScan } from './stream';
import { collectTensors, findEstimator } from './tensors';

/** lz4 (joblib with the lz4 package): not read here, so nothing in it is checked. */
function unsupported(size: number, kind: string): ParsedModel {
  const issue = `compressed joblib (${kind}) is not supported: its content (and any code it would run) was not inspected`;
  return {
    summary: {
      format: 'pickle',
      size,
      facts: { container: `compressed joblib (${kind})` },
      tensors: [],
      warnings: [issue],
      globals: [],
      pickleVerdict: 'unknown',
      pickleIssues: [{ level: 'unknown', text: issue }],
    },
  };
}

/** The stream to walk: the file itself, or its decompressed bytes. */
async function streamOf(
  file: string,
  fsrc: Source,
  head: Buffer,
  opts: ParseOptions,
  facts: Record<string, string>,
): Promise<Source> {
  const compression = compressionOf(head);
  if (compression === null || compression === 'lz4') return fsrc;
  const cap = opts.caps.decompressedBytes;
  if (fsrc.size > cap)
    throw invalid(file, `compressed pickle of ${formatBytes(fsrc.size)} is over the ${formatBytes(cap)} cap`);
  const body = await fsrc.read(0, fsrc.size, 'compressed pickle');
  facts['container'] = `compressed joblib (${compression === 'zf' ? 'zlib' : compression})`;
  return new BufferSource(file, await decompress(file, compression, body, cap));
}

export async function parsePickleFile(file: string, opts: ParseOptions): Promise<ParsedModel> {
  return withFile(file, opts.stats, async (fsrc) => {
    const size = fsrc.size;
    if (size === 0) throw invalid(file, 'empty file: not a pickle');
    const head = await fsrc.read(0, Math.min(64, size), 'pickle header');
    if (compressionOf(head) === 'lz4') return unsupported(size, 'lz4');
    const facts: Record<string, string> = {};
    const src = await streamOf(file, fsrc, head, opts, facts);
    const first = src === fsrc ? head : await src.read(0, Math.min(2, src.size), 'pickle header');
    if (first[0] === 0x80 && first[1] !== undefined && first[1] > 5)
      throw invalid(file, `not a pickle: protocol byte ${first[1]} is out of range`);
    const scan = await walkStream(new Cursor(src), opts.caps);
    return summarize(file, size, scan, src, opts, facts, src !== fsrc);
  });
}

function summarize(
  file: string,
  size: number,
  scan: PickleScan,
  src: Source,
  opts: ParseOptions,
  facts: Record<string, string>,
  inMemory: boolean,
): ParsedModel {
  const warnings: string[] = [];
  const fields = reportScan(scan, facts, warnings);
  if (scan.joblibArrays > 0 && !facts['container']) facts['container'] = 'joblib';
  const est = findEstimator(scan.root);
  if (est) {
    facts['estimator'] = est.cls;
    if (est.version) facts['sklearn version'] = est.version;
  } else {
    facts['root'] = render(scan.root, 120).replace(/\(.*$/s, '');
  }
  const tensors: TensorInfo[] = [];
  const content = new Map<string, () => Promise<string>>();
  for (const t of collectTensors(scan.root, opts.caps.tensors)) {
    const info = t.array ?? (t.torch ? { dtype: t.torch.dtype, shape: t.torch.shape } : null);
    if (!info) continue;
    tensors.push({ name: t.name, dtype: info.dtype, shape: info.shape, params: paramsOf(info.shape) });
    const { dataPos, dataLen } = t.array ?? {};
    if (dataPos === undefined || dataLen === undefined) continue;
    content.set(
      t.name,
      inMemory
        ? async () => hashBuffer(await src.read(dataPos, dataLen, 'array'))
        : fileRangeHasher(file, dataPos, dataLen, opts.stats),
    );
  }
  const summary: ParsedModel['summary'] = { format: 'pickle', size, facts, tensors, warnings, ...fields };
  if (est) summary.params = est.params;
  return { summary, content };
}
