/**
 * The safe list: exact `module` + `name` pairs whose loading only rebuilds data. Spelled out
 * (the loops below only expand name lists of one module), never a package prefix. Sources:
 * torch's `weights_only` allow-list (`torch/_weights_only_unpickler.py`, 1.13 and 2.x), what
 * numpy and scikit-learn's compiled types pickle as, joblib's array wrapper, stdlib data types.
 */

const pairs: [string, string][] = [];

function add(module: string, names: readonly string[]): void {
  for (const n of names) pairs.push([module, n]);
}

// Python and stdlib data types. builtins names not listed here are dangerous (eval, getattr...).
add('builtins', ['object', 'set', 'frozenset', 'slice', 'complex', 'bytearray', 'bytes', 'str', 'int']);
add('builtins', ['float', 'bool', 'list', 'dict', 'tuple', 'range', 'Ellipsis', 'NotImplemented']);
add('collections', ['OrderedDict', 'defaultdict', 'deque', 'Counter']);
add('copyreg', ['_reconstructor', '__newobj__', '__newobj_ex__']);
// Protocol 2 writes bytes as _codecs.encode(str, 'latin1'); the walker checks the codec.
add('_codecs', ['encode']);
add('datetime', ['datetime', 'date', 'time', 'timedelta', 'timezone']);
add('decimal', ['Decimal']);
add('fractions', ['Fraction']);
add('uuid', ['UUID']);
// Constructing a path touches no file; its methods are reached only through getattr (dangerous).
add('pathlib', ['Path', 'PosixPath', 'WindowsPath', 'PurePath', 'PurePosixPath', 'PureWindowsPath']);

// torch: rebuild functions, storages, tensor classes, dtypes, layouts, qschemes.
add('torch._utils', ['_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_tensor_v3', '_rebuild_parameter']);
add('torch._utils', ['_rebuild_parameter_with_state', '_rebuild_sparse_tensor', '_rebuild_sparse_csr_tensor']);
add('torch._utils', ['_rebuild_qtensor', '_rebuild_meta_tensor_no_storage', '_rebuild_wrapper_subclass']);
add('torch._utils', ['_rebuild_nested_tensor', '_rebuild_device_tensor_from_numpy']);
add('torch._utils', ['_rebuild_device_tensor_from_cpu_tensor']);
add('torch._tensor', ['_rebuild_from_type_v2']);
add('torch.nn.parameter', ['Parameter']);
add('torch.serialization', ['_get_layout']);
add('torch.storage', ['TypedStorage', 'UntypedStorage', '_TypedStorage', '_UntypedStorage', '_LegacyStorage']);
add('torch', ['Tensor', 'Size', 'device', 'dtype', 'layout', 'memory_format', 'qscheme']);

const STORAGE_KINDS = ['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'];
const QSTORAGE_KINDS = ['ComplexFloat', 'ComplexDouble', 'QInt8', 'QUInt8', 'QInt32', 'QUInt4x2', 'QUInt2x4'];
const NEW_STORAGE_KINDS = ['Float8_e4m3fn', 'Float8_e5m2', 'UInt16', 'UInt32', 'UInt64'];
for (const k of [...STORAGE_KINDS, ...QSTORAGE_KINDS, ...NEW_STORAGE_KINDS]) {
  add('torch', [`${k}Storage`]);
  add('torch.cuda', [`${k}Storage`]);
}
for (const k of STORAGE_KINDS) add('torch', [`${k}Tensor`]);
for (const k of STORAGE_KINDS) add('torch.cuda', [`${k}Tensor`]);
add('torch', ['float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'int8', 'int16']);
add('torch', ['short', 'int32', 'int', 'int64', 'long', 'uint8', 'uint16', 'uint32', 'uint64', 'bool']);
add('torch', ['complex32', 'complex64', 'complex128', 'cfloat', 'cdouble', 'chalf', 'qint8', 'quint8']);
add('torch', ['qint32', 'quint4x2', 'quint2x4', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz']);
add('torch', ['float8_e5m2fnuz']);
add('torch', ['strided', 'sparse_coo', 'sparse_csr', 'sparse_csc', 'sparse_bsr', 'sparse_bsc', '_mkldnn']);
add('torch', ['jagged', 'contiguous_format', 'channels_last', 'channels_last_3d', 'preserve_format']);
add('torch', ['per_tensor_affine', 'per_tensor_symmetric', 'per_channel_affine', 'per_channel_symmetric']);
add('torch', ['per_channel_affine_float_qparams']);

// numpy: arrays, dtypes, scalars, random states, and the scalar types themselves (an
// estimator's `dtype=np.float64` parameter pickles as the class numpy.float64).
for (const core of ['numpy.core', 'numpy._core']) {
  add(`${core}.multiarray`, ['_reconstruct', 'scalar']);
  add(`${core}.numeric`, ['_frombuffer']);
}
add('numpy', ['ndarray', 'dtype', 'matrix']);
add('numpy.ma.core', ['_mareconstruct', 'MaskedArray']);
add('numpy.random._pickle', ['__randomstate_ctor', '__bit_generator_ctor', '__generator_ctor']);
add('numpy.random.mtrand', ['RandomState']);
add('numpy.random._generator', ['Generator']);
add('numpy.random._mt19937', ['MT19937']);
add('numpy.random._pcg64', ['PCG64', 'PCG64DXSM']);
add('numpy.random._philox', ['Philox']);
add('numpy.random._sfc64', ['SFC64']);
const NUMPY_SCALARS = [
  ...['float16', 'float32', 'float64', 'float96', 'float128', 'longdouble', 'half', 'single', 'double'],
  ...['complex64', 'complex128', 'complex192', 'complex256', 'clongdouble', 'csingle', 'cdouble'],
  ...['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'intc', 'uintc', 'intp'],
  ...['uintp', 'int_', 'uint', 'longlong', 'ulonglong', 'short', 'ushort', 'byte', 'ubyte', 'bool_', 'bool'],
  ...['object_', 'str_', 'bytes_', 'void', 'datetime64', 'timedelta64', 'float_', 'complex_', 'unicode_'],
  ...['string_', 'number', 'integer', 'floating', 'generic'],
];
add('numpy', NUMPY_SCALARS);
const NUMPY_DTYPES = [
  ...['Bool', 'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float16', 'Float32'],
  ...['Float64', 'LongDouble', 'Complex64', 'Complex128', 'CLongDouble', 'Object', 'Bytes', 'Str', 'Void'],
  ...['DateTime64', 'TimeDelta64', 'String', 'Byte', 'UByte', 'Short', 'UShort', 'Int', 'UInt', 'Long'],
  ...['ULong', 'LongLong', 'ULongLong'],
];
add(
  'numpy.dtypes',
  NUMPY_DTYPES.map((d) => `${d}DType`),
);
// Ufuncs are pure arithmetic: FunctionTransformer(np.log1p) pickles one.
const UFUNCS = [
  ...['absolute', 'add', 'arccos', 'arccosh', 'arcsin', 'arcsinh', 'arctan', 'arctan2', 'arctanh', 'cbrt'],
  ...['ceil', 'clip', 'cos', 'cosh', 'deg2rad', 'divide', 'exp', 'exp2', 'expm1', 'fabs', 'floor'],
  ...['floor_divide', 'fmax', 'fmin', 'fmod', 'hypot', 'isfinite', 'isinf', 'isnan', 'log', 'log10'],
  ...['log1p', 'log2', 'logaddexp', 'logaddexp2', 'maximum', 'minimum', 'multiply', 'negative', 'power'],
  ...['rad2deg', 'reciprocal', 'remainder', 'rint', 'sign', 'sin', 'sinh', 'sqrt', 'square', 'subtract'],
  ...['tan', 'tanh', 'true_divide', 'trunc'],
];
for (const core of ['numpy.core._multiarray_umath', 'numpy._core._multiarray_umath', 'numpy']) add(core, UFUNCS);

// joblib: the wrapper of arrays written after it in the stream (the walker skips their bytes).
add('joblib.numpy_pickle', ['NumpyArrayWrapper']);

// scikit-learn's compiled types: what their reconstructors are pickled as. Estimators
// themselves are Python classes with their own __setstate__: suspicious, not listed here.
add('sklearn.tree._tree', ['Tree']);
for (const tree of ['sklearn.neighbors._kd_tree', 'sklearn.neighbors._ball_tree']) add(tree, ['newObj']);
add('sklearn.neighbors._kd_tree', ['KDTree', 'KDTree64', 'KDTree32']);
add('sklearn.neighbors._ball_tree', ['BallTree', 'BallTree64', 'BallTree32']);
add('sklearn.metrics._dist_metrics', ['newObj']);
const METRICS = [
  ...['Euclidean', 'SEuclidean', 'Manhattan', 'Chebyshev', 'Minkowski', 'WMinkowski', 'Mahalanobis'],
  ...['Hamming', 'Canberra', 'BrayCurtis', 'Jaccard', 'Matching', 'Dice', 'Kulsinski', 'RogersTanimoto'],
  ...['RussellRao', 'SokalMichener', 'SokalSneath', 'Haversine'],
];
for (const m of METRICS) add('sklearn.metrics._dist_metrics', [`${m}Distance`, `${m}Distance64`, `${m}Distance32`]);
const LOSSES = [
  ...['HalfSquaredError', 'AbsoluteError', 'PinballLoss', 'HuberLoss', 'HalfPoissonLoss', 'HalfGammaLoss'],
  ...['HalfTweedieLoss', 'HalfTweedieLossIdentity', 'HalfBinomialLoss', 'ExponentialLoss'],
  ...['HalfMultinomialLoss'],
];
for (const l of LOSSES) add('sklearn._loss._loss', [`Cy${l}`, `__pyx_unpickle_Cy${l}`]);

// scipy.sparse matrices: plain attribute containers (no __setstate__ of their own).
for (const [mod, cls] of [
  ['_csr', 'csr'],
  ['_csc', 'csc'],
  ['_coo', 'coo'],
  ['_lil', 'lil'],
  ['_dok', 'dok'],
  ['_dia', 'dia'],
  ['_bsr', 'bsr'],
] as const) {
  add(`scipy.sparse.${mod}`, [`${cls}_matrix`, `${cls}_array`]);
  add(`scipy.sparse.${mod.slice(1)}`, [`${cls}_matrix`]);
}

/** `module + '\0' + name` of every safe pair. */
export const SAFE_PAIRS: ReadonlySet<string> = new Set(pairs.map(([m, n]) => `${m}\0${n}`));

/** The pairs, for tests and the policy's documentation. */
export function safePairs(): [string, string][] {
  return pairs.map(([m, n]) => [m, n]);
}
