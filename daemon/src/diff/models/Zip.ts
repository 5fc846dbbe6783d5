/**
 * A bounded zip reader: the central directory is read (capped in size and entry count) and
 * entries are listed; one entry is read at a time, stored or deflated, never beyond a cap:
 * the declared size is checked before inflating and the actual size is bounded while
 * inflating (`maxOutputLength`), so a zip bomb costs at most the cap. Zip64 is supported;
 * multi-disk archives, encryption and other compression methods are refused clearly.
 */
import * as zlib from 'node:zlib';
import { formatBytes, hashBuffer, invalid, safeNumber, type ModelCaps, type Source } from './FileSource';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

export class ZipArchive {
  private constructor(
    readonly src: Source,
    readonly entries: ZipEntry[],
    private readonly caps: ModelCaps,
    readonly zip64: boolean,
  ) {}

  get file(): string {
    return this.src.file;
  }

  static async open(src: Source, caps: ModelCaps): Promise<ZipArchive> {
    const file = src.file;
    const size = src.size;
    if (size < 22)
      throw invalid(file, `not a zip archive: ${size} bytes is shorter than an end-of-central-directory record`);
    const tailLen = Math.min(size, 22 + 0xffff);
    const tailStart = size - tailLen;
    const tail = await src.read(tailStart, tailLen, 'zip end of central directory');
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === SIG_EOCD && i + 22 + tail.readUInt16LE(i + 20) <= tailLen) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw invalid(file, 'not a zip archive or truncated: no end-of-central-directory record');
    const eocdPos = tailStart + eocd;
    const disk = tail.readUInt16LE(eocd + 4);
    const cdDisk = tail.readUInt16LE(eocd + 6);
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    let cdEnd = eocdPos;
    let zip64 = false;
    if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === SIG_EOCD64_LOCATOR) {
      zip64 = true;
      const loc = eocd - 20;
      if (tail.readUInt32LE(loc + 16) > 1) throw invalid(file, 'multi-disk zip archives are not supported');
      const e64Pos = safeNumber(file, tail.readBigUInt64LE(loc + 8), 'zip64 end-of-central-directory offset');
      if (e64Pos + 56 > eocdPos - 20)
        throw invalid(file, `zip64 end-of-central-directory offset ${e64Pos} is out of the file`);
      const e64 = await src.read(e64Pos, 56, 'zip64 end of central directory');
      if (e64.readUInt32LE(0) !== SIG_EOCD64)
        throw invalid(file, 'zip64 end-of-central-directory record has a bad signature');
      if (e64.readUInt32LE(16) !== 0 || e64.readUInt32LE(20) !== 0)
        throw invalid(file, 'multi-disk zip archives are not supported');
      count = safeNumber(file, e64.readBigUInt64LE(32), 'zip64 entry count');
      cdSize = safeNumber(file, e64.readBigUInt64LE(40), 'zip64 central directory size');
      cdOffset = safeNumber(file, e64.readBigUInt64LE(48), 'zip64 central directory offset');
      cdEnd = e64Pos;
    } else {
      if (disk !== 0 || cdDisk !== 0) throw invalid(file, 'multi-disk zip archives are not supported');
      if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
        throw invalid(file, 'zip64 archive without a zip64 end-of-central-directory locator');
      }
    }
    if (count > caps.zipEntries) throw invalid(file, `zip has ${count} entries, more than the ${caps.zipEntries} cap`);
    if (cdSize > caps.zipCentralDirBytes)
      throw invalid(
        file,
        `zip central directory is ${formatBytes(cdSize)}, over the ${formatBytes(caps.zipCentralDirBytes)} cap`,
      );
    if (cdOffset + cdSize > cdEnd)
      throw invalid(
        file,
        `zip central directory (${cdSize} bytes at ${cdOffset}) runs past its end record: truncated or not a zip`,
      );
    const cd = await src.read(cdOffset, cdSize, 'zip central directory');
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL)
        throw invalid(file, `zip central directory entry ${i} is corrupt`);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc32 = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      const next = p + 46 + nameLen + extraLen + commentLen;
      if (next > cd.length) throw invalid(file, `zip central directory entry ${i} runs past the directory`);
      const nameBuf = cd.subarray(p + 46, p + 46 + nameLen);
      const name = flags & 0x800 ? nameBuf.toString('utf8') : nameBuf.toString('latin1');
      // Zip64 extended information: only the fields whose 32-bit value is saturated, in order.
      const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
      for (let x = 0; x + 4 <= extra.length;) {
        const id = extra.readUInt16LE(x);
        const len = extra.readUInt16LE(x + 2);
        if (x + 4 + len > extra.length) break;
        if (id === 0x0001) {
          let q = x + 4;
          const take = (): number => {
            if (q + 8 > x + 4 + len) throw invalid(file, `zip entry "${name}": zip64 extra field too short`);
            const v = safeNumber(file, extra.readBigUInt64LE(q), `zip entry "${name}" zip64 size`);
            q += 8;
            return v;
          };
          if (uncompressedSize === 0xffffffff) uncompressedSize = take();
          if (compressedSize === 0xffffffff) compressedSize = take();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
          zip64 = true;
        }
        x += 4 + len;
      }
      if (localHeaderOffset + 30 + compressedSize > cdOffset) {
        throw invalid(
          file,
          `zip entry "${name}" (${compressedSize} bytes at ${localHeaderOffset}) overlaps the central directory: truncated or corrupt`,
        );
      }
      entries.push({ name, method, flags, crc32, compressedSize, uncompressedSize, localHeaderOffset });
      p = next;
    }
    return new ZipArchive(src, entries, caps, zip64);
  }

  /** An archive whose central directory was already read (hashing entries later). */
  static fromEntries(src: Source, entries: ZipEntry[], caps: ModelCaps): ZipArchive {
    return new ZipArchive(src, entries, caps, false);
  }

  find(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** Where the entry's (compressed) bytes are in the file. */
  async dataRange(entry: ZipEntry): Promise<{ start: number; length: number }> {
    const h = await this.src.read(entry.localHeaderOffset, 30, `zip local header of "${entry.name}"`);
    if (h.readUInt32LE(0) !== SIG_LOCAL)
      throw invalid(this.file, `zip entry "${entry.name}": bad local header signature`);
    const start = entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (start + entry.compressedSize > this.src.size) {
      throw invalid(
        this.file,
        `truncated: zip entry "${entry.name}" needs ${entry.compressedSize} bytes at ${start}, file has ${this.src.size}`,
      );
    }
    return { start, length: entry.compressedSize };
  }

  /** The entry's content, at most `cap` bytes (declared and actual), CRC-checked. */
  async read(entry: ZipEntry, cap = this.caps.zipEntryBytes): Promise<Buffer> {
    const file = this.file;
    const what = `zip entry "${entry.name}"`;
    if (entry.flags & 1) throw invalid(file, `${what} is encrypted`);
    if (entry.method !== 0 && entry.method !== 8)
      throw invalid(file, `${what} uses compression method ${entry.method}; only stored and deflate are supported`);
    if (entry.uncompressedSize > cap)
      throw invalid(
        file,
        `${what} declares ${formatBytes(entry.uncompressedSize)} uncompressed, over the ${formatBytes(cap)} cap`,
      );
    if (entry.compressedSize > cap)
      throw invalid(
        file,
        `${what} is ${formatBytes(entry.compressedSize)} compressed, over the ${formatBytes(cap)} cap`,
      );
    const { start, length } = await this.dataRange(entry);
    const raw = await this.src.read(start, length, what);
    let data: Buffer;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.uncompressedSize)
        throw invalid(
          file,
          `${what} is stored but its sizes differ (${entry.compressedSize} vs ${entry.uncompressedSize})`,
        );
      data = raw;
    } else {
      try {
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, cap) });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
          throw invalid(
            file,
            `${what} inflates to more than the ${formatBytes(cap)} cap (declared ${formatBytes(entry.uncompressedSize)}): refused as a possible zip bomb`,
          );
        }
        throw invalid(file, `${what} has corrupt deflate data (${(err as Error).message})`);
      }
      if (data.length !== entry.uncompressedSize) {
        throw invalid(file, `${what} inflates to ${data.length} bytes but declares ${entry.uncompressedSize}`);
      }
    }
    if (crc32(data) !== entry.crc32) throw invalid(file, `${what} fails its CRC-32 check`);
    return data;
  }

  /** BLAKE3 of the entry's content, or of bytes [from, to) of it. */
  async hash(entry: ZipEntry, from = 0, to = entry.uncompressedSize): Promise<string> {
    return hashBuffer((await this.read(entry)).subarray(from, to));
  }
}

let CRC_TABLE: Int32Array | null = null;

export function crc32(buf: Buffer): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c;
    }
  }
  const t = CRC_TABLE;
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = (t[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
