/**
 * The `.xz` container (what `lzma.open(format=FORMAT_XZ)` and joblib's `compress='xz'` write),
 * decoded by xz-decompress: xz-embedded compiled to WebAssembly, which checks each block's
 * check and reads concatenated streams as Python's lzma module does. It yields 64 KiB chunks on
 * demand, so reading stops (and the stream is cancelled) as soon as the output passes `cap`.
 */
import { XzReadableStream } from 'xz-decompress';
import { DecodeError, OverCapError } from './lzma';

export async function decodeXz(data: Uint8Array, cap: number): Promise<Buffer> {
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(data);
      controller.close();
    },
  });
  const reader = new XzReadableStream(input).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > cap) {
        await reader.cancel();
        throw new OverCapError(`output over the ${cap}-byte cap`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    // xz-embedded's errors come as "get_next_output failed with error code N"; an input that
    // ends early surfaces as one of them or as a TypeError from the stream wrapper.
    throw new DecodeError(`xz: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks, total);
}
