/**
 * Types for seek-bzip 2.0.0 (it ships none): the one call used here. The input and output are
 * the library's byte-stream objects, so the caller decides what reading past the end and
 * writing past a cap do.
 */
declare module 'seek-bzip' {
  interface ByteInput {
    readByte(): number;
    read(buffer: Uint8Array, offset: number, length: number): number;
    seek(pos: number): void;
    eof(): boolean;
  }
  interface ByteSink {
    writeByte(byte: number): void;
  }
  const Bunzip: {
    decode(input: ByteInput, output: ByteSink, multistream: boolean): unknown;
  };
  export default Bunzip;
}
