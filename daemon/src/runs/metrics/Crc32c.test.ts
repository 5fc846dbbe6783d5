import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crc32c, maskedCrc32c } from './Crc32c';

/** The textbook bit-at-a-time CRC-32C, to check the table-driven one against. */
function bitwiseCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('CRC-32C', () => {
  test('the standard check value', () => {
    assert.equal(crc32c(Buffer.from('123456789', 'ascii')), 0xe3069283);
  });

  test('empty input and known vectors (RFC 3720 B.4)', () => {
    assert.equal(crc32c(new Uint8Array(0)), 0);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_v, i) => i)), 0x46dd794e);
  });

  test('agrees with the bitwise definition at every length and offset', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_v, i) => (i * 131 + 7) & 0xff);
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= bytes.length; end += 13) {
        assert.equal(crc32c(bytes, start, end), bitwiseCrc32c(bytes.subarray(start, end)), `[${start}, ${end})`);
      }
    }
  });

  test('masked as TFRecord masks it', () => {
    const crc = crc32c(Buffer.from('123456789', 'ascii'));
    const masked = (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
    assert.equal(maskedCrc32c(Buffer.from('123456789', 'ascii')), masked);
    // An empty record's length field (eight zero bytes), as make_tfevents.py's Python masks it.
    assert.equal(maskedCrc32c(new Uint8Array(8)), 0x07980329);
  });
});
