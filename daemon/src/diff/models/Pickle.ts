/**
 * The pickle parser, split by concern under ./pickle/ (opcodes, walker, safety policy, torch,
 * numpy and sklearn specifics, rendering, compression, reporting). This module names its entry
 * points; code that needs a part imports it from ./pickle/ directly.
 */
export { parsePickleFile } from './pickle/file';
export { pyFloat, render } from './pickle/render';
export { safetyOf } from './pickle/safety';
export { walkPickle } from './pickle/stream';
