// Preloaded (node --import) by scripts/fuzz.mjs when the fuzzer's prebuilt addon needs the compat
// shim (see nativeCompat.mjs): loads the patched copy named by MLSNAP_FUZZ_ADDON in place of
// node_modules/@jazzer.js/fuzzer/prebuilds/fuzzer-<platform>-<arch>.node.
import * as path from 'node:path';

const patched = process.env.MLSNAP_FUZZ_ADDON;
if (patched) {
  const wanted = path.basename(patched);
  const dlopen = process.dlopen.bind(process);
  process.dlopen = (module, filename, ...rest) =>
    dlopen(module, path.basename(filename) === wanted && filename.includes('@jazzer.js') ? patched : filename, ...rest);
}
