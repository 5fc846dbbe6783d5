/**
 * A minimal, bounded tar reader for torch's oldest format (`torch.save` before 0.4 wrote a tar
 * of pickles: sys_info, pickle, tensors, storages), which `torch.load` still tries first on a
 * file that is not a zip. Members are listed from their 512-byte headers (ustar and pax
 * names); nothing is extracted to disk.
 */
import { invalid, type Source } from '../FileSource';

export interface TarMember {
  name: string;
  /** Where the member's bytes start. */
  offset: number;
  size: number;
  /** '0' (or NUL) a regular file; others are skipped by the caller. */
  type: string;
}

function cstr(h: Buffer, from: number, len: number): string {
  const s = h.subarray(from, from + len);
  const nul = s.indexOf(0);
  return (nul < 0 ? s : s.subarray(0, nul)).toString('utf8');
}

function octal(h: Buffer, from: number, len: number): number {
  const s = cstr(h, from, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** A ustar header: 'ustar' at 257 and a checksum over the header with its own field as spaces. */
export function isTarHeader(h: Buffer): boolean {
  if (h.length < 512 || h.subarray(257, 262).toString('latin1') !== 'ustar') return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
  return sum === octal(h, 148, 8);
}

/** The `path` record of a pax extended header ("%d path=%s\n" records). */
function paxPath(data: Buffer): string | null {
  const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
  return m?.[1] ?? null;
}

export async function tarMembers(src: Source, maxMembers: number): Promise<TarMember[]> {
  const out: TarMember[] = [];
  let pos = 0;
  let paxName: string | null = null;
  while (pos + 512 <= src.size) {
    const h = await src.read(pos, 512, 'tar header');
    if (h.every((b) => b === 0)) break;
    if (!isTarHeader(h)) throw invalid(src.file, `tar header at offset ${pos} is corrupt`);
    const size = octal(h, 124, 12);
    if (!Number.isSafeInteger(size) || pos + 512 + size > src.size)
      throw invalid(src.file, `truncated: tar member at offset ${pos} declares ${size} bytes`);
    const type = String.fromCharCode(h[156] as number);
    if (type === 'x' && size <= 64 * 1024) paxName = paxPath(await src.read(pos + 512, size, 'pax header'));
    else if (type !== 'g') {
      const prefix = cstr(h, 345, 155);
      const name = paxName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
      out.push({ name, offset: pos + 512, size, type });
      paxName = null;
      if (out.length > maxMembers) throw invalid(src.file, `tar has more than ${maxMembers} members`);
    }
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
