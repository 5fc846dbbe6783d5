/**
 * The pickle parser, split by concern under ./pickle/ (opcodes, walker, safety policy, torch,
 * numpy and sklearn specifics, rendering, compression, reporting). This module re-exports its
 * public surface for the importers that name it.
 */
export { compressionOf, decompress, type Compression } from './pickle/compression';
export { parsePickleFile } from './pickle/file';
export { arrayOf, dtypeOf, type DtypeInfo } from './pickle/numpy';
export { opName, OP } from './pickle/opcodes';
export { pyFloat, render } from './pickle/render';
export { reportScan, type PickleFields, type ScanReport } from './pickle/report';
export { canonical, dangerOf, safetyOf, worse, type PickleLevel, type PickleVerdict } from './pickle/safety';
export {
  PickleParseError,
  verdictOf,
  walkPickle,
  walkStream,
  type PartialScan,
  type PickleScan,
} from './pickle/stream';
export { collectTensors, findEstimator, type FoundTensor } from './pickle/tensors';
export { DTYPE_BYTES, torchTensorOf, type TorchTensorRef } from './pickle/torch';
export { dictOf, globalName, intOf, intTuple, isGlobal, type ArrayInfo, type PObj, type PV } from './pickle/values';
export { newScanState, type GlobalRef, type Issue, type ScanState } from './pickle/state';
