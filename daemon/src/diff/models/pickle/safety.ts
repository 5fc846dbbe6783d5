/**
 * Which pickled globals are safe to load. A loader imports `module` and then looks `name` up
 * in it attribute by attribute (protocol 4 resolves dotted names), and calls what it finds
 * when the pickle says so. Three levels:
 *
 * - safe: exact `module` + `name` pairs that only rebuild data: what torch's `weights_only`
 *   loader allows, numpy's and sklearn's reconstructors, plain stdlib containers. Never a
 *   package prefix: `sklearn.utils._testing.assert_run_python_script` is in sklearn too.
 * - dangerous: whatever runs code, starts processes, opens files or sockets, imports, or
 *   deserializes again (a nested pickle is not scanned by the loader's caller either).
 * - suspicious: everything else. Mostly classes whose own code runs while they are rebuilt
 *   (`__reduce__`, `__setstate__`, `__init__`): user classes, full `nn.Module`s, estimators.
 *
 * A dotted name is resolved segment by segment: every prefix of `module.name` is checked
 * against the dangerous modules and functions, and an attribute that is a module or a dunder
 * (`serialization.os.system`, `OrderedDict.__init__.__globals__`) is dangerous wherever it sits.
 */
import type { PickleLevel, PickleVerdict } from '../../../../../shared/src/diff';
import { SAFE_PAIRS } from './safeList';
import { ownEntry } from '../../../../../shared/src/ownEntry';

export type { PickleLevel, PickleVerdict };

const RANK: Record<PickleVerdict, number> = { safe: 0, suspicious: 1, unknown: 2, dangerous: 3 };

/** The worse of two verdicts: unknown outranks suspicious (it may hide anything), not dangerous. */
export function worse<T extends PickleVerdict>(a: T, b: T): T {
  return RANK[b] > RANK[a] ? b : a;
}

// ---------------------------------------------------------------------------------------------
// Python 2 names: the unpickler maps them (fix_imports) before importing.

const PY2_MODULES: Record<string, string> = {
  __builtin__: 'builtins',
  __builtins__: 'builtins',
  exceptions: 'builtins',
  copy_reg: 'copyreg',
  cPickle: 'pickle',
  commands: 'subprocess',
  urllib2: 'urllib.request',
  urlparse: 'urllib.parse',
  httplib: 'http.client',
  BaseHTTPServer: 'http.server',
  SimpleHTTPServer: 'http.server',
  CGIHTTPServer: 'http.server',
  cookielib: 'http.cookiejar',
  xmlrpclib: 'xmlrpc.client',
  SocketServer: 'socketserver',
  StringIO: 'io',
  cStringIO: 'io',
  thread: '_thread',
  dummy_thread: '_dummy_thread',
  Queue: 'queue',
  ConfigParser: 'configparser',
  UserDict: 'collections',
  UserList: 'collections',
  UserString: 'collections',
  anydbm: 'dbm',
  whichdb: 'dbm',
  dumbdbm: 'dbm.dumb',
  gdbm: 'dbm.gnu',
  _winreg: 'winreg',
};

const PY2_NAMES: Record<string, [string, string]> = {
  'builtins.xrange': ['builtins', 'range'],
  'builtins.reduce': ['functools', 'reduce'],
  'builtins.intern': ['sys', 'intern'],
  'builtins.unichr': ['builtins', 'chr'],
  'builtins.unicode': ['builtins', 'str'],
  'builtins.long': ['builtins', 'int'],
  'builtins.basestring': ['builtins', 'str'],
  'builtins.raw_input': ['builtins', 'input'],
  'itertools.izip': ['builtins', 'zip'],
  'itertools.imap': ['builtins', 'map'],
  'itertools.ifilter': ['builtins', 'filter'],
  'urllib.urlopen': ['urllib.request', 'urlopen'],
  'urllib.urlretrieve': ['urllib.request', 'urlretrieve'],
};

/** The module and name Python 3 would import for a (possibly Python 2) reference. */
export function canonical(module: string, name: string): [string, string] {
  const m = ownEntry(PY2_MODULES, module) ?? module;
  return ownEntry(PY2_NAMES, `${m}.${name}`) ?? [m, name];
}

// ---------------------------------------------------------------------------------------------
// Dangerous: modules (with their submodules), functions, and names wherever they are found

/** Whole modules: any attribute, any submodule. */
const DANGEROUS_MODULES = new Set([
  // processes and the OS
  ...['os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', '_posixsubprocess', 'pty', 'sys', 'signal'],
  ...['_signal', 'platform', 'multiprocessing', 'concurrent', 'threading', '_thread', 'atexit', 'asyncio'],
  ...['pexpect', 'pipes', 'sh', '_osx_support', '_aix_support', '_interpreters', '_xxsubinterpreters'],
  // code execution, compilation, imports, introspection
  ...['builtins', 'runpy', 'code', 'codeop', 'compileall', 'py_compile', 'types', 'inspect', 'gc', 'ctypes'],
  ...['_ctypes', 'importlib', '_imp', 'imp', '_frozen_importlib', '_frozen_importlib_external', 'zipimport'],
  ...['pkgutil', 'site', 'operator', '_operator', 'functools', 'bdb', 'pdb', 'trace', 'timeit', 'cProfile'],
  ...['profile', 'doctest', 'unittest', 'test', 'pydoc', 'idlelib', 'lib2to3', 'IPython', 'ipykernel'],
  ...['distutils', 'setuptools', 'pip', 'ensurepip', 'venv', 'jinja2', 'numexpr'],
  // deserializing again: a nested payload the caller never scans
  ...['pickle', '_pickle', 'pickletools', 'marshal', 'shelve', 'dill', 'cloudpickle', 'joblib', 'yaml'],
  ...['jsonpickle', 'copyreg'],
  // files
  ...['io', '_io', 'codecs', 'pathlib', 'tempfile', 'shutil', 'glob', 'fileinput', 'filecmp', 'linecache'],
  ...['tarfile', 'zipfile', 'gzip', 'bz2', 'lzma', 'mmap', 'sqlite3', '_sqlite3', 'dbm', 'logging', 'syslog'],
  ...['uuid', 'mailbox', 'netrc', 'webbrowser'],
  // network
  ...['socket', '_socket', 'ssl', '_ssl', 'select', 'selectors', 'socketserver', 'urllib', 'http', 'ftplib'],
  ...['smtplib', 'imaplib', 'poplib', 'telnetlib', 'nntplib', 'xmlrpc', 'requests', 'aiohttp', 'httpx'],
  ...['urllib3', 'paramiko'],
  // libraries' own loaders, runners and downloaders
  ...['numpy.f2py', 'numpy.testing', 'numpy.distutils', 'numpy.ctypeslib', 'numpy.lib.npyio', 'numpy.lib.format'],
  ...['torch.hub', 'torch.jit', 'torch._C', 'torch.ops', 'torch.package', 'torch.multiprocessing'],
  ...['torch.distributed', 'torch.utils.cpp_extension', 'torch.utils.collect_env', 'torch.utils.bottleneck'],
  ...['torch._inductor', 'torch._dynamo', 'torch.fx.experimental', 'torch.utils._config_module'],
  ...['torch.utils.data.datapipes', 'torch.cuda.memory'],
  ...['sklearn.utils._testing', 'sklearn.datasets', 'sklearn.utils._joblib', 'sklearn.externals'],
  ...['pandas.io', 'scipy.io', 'scipy.weave', 'keras.utils', 'tensorflow.io'],
]);

/** Single functions and classes (full dotted path), in modules that are otherwise allowed. */
const DANGEROUS_NAMES = new Set([
  'torch.load',
  'torch.save',
  'torch.from_file',
  'torch.serialization.load',
  'torch.serialization._load',
  'torch.serialization._legacy_load',
  'torch.serialization.save',
  'torch.storage._load_from_bytes',
  'torch.storage.UntypedStorage.from_file',
  'numpy.load',
  'numpy.loadtxt',
  'numpy.genfromtxt',
  'numpy.fromfile',
  'numpy.fromregex',
  'numpy.memmap',
  'numpy.save',
  'numpy.savez',
  'numpy.savez_compressed',
  'numpy.savetxt',
  'numpy.core.memmap',
  'numpy._core.memmap',
  'numpy.core.records.fromfile',
  'numpy.core._ufunc_reconstruct',
  'numpy._core._ufunc_reconstruct',
  'numpy.ndarray.tofile',
  'numpy.ndarray.dump',
  'numpy.lib.utils.source',
  'numpy.lib._utils_impl.source',
  'pandas.read_pickle',
  'pandas.read_csv',
  'pandas.read_parquet',
  'pandas.read_sql',
  'pandas.eval',
  'pandas.core.computation.eval.eval',
]);

/** Names that run code wherever they live: a user module re-exporting os.system is no safer. */
const DANGEROUS_LEAVES = new Set([
  ...['system', 'popen', 'popen2', 'popen3', 'popen4', 'spawnl', 'spawnle', 'spawnlp', 'spawnlpe', 'spawnv'],
  ...['spawnve', 'spawnvp', 'spawnvpe', 'execl', 'execle', 'execlp', 'execlpe', 'execv', 'execve', 'execvp'],
  ...['execvpe', 'fork', 'forkpty', 'eval', 'exec', 'execfile', '__import__', 'import_module', 'getoutput'],
  ...['getstatusoutput', 'check_output', 'check_call', 'Popen', 'run_path', 'run_module', '_run_code'],
  ...['_run_module_code', 'runcode', 'runsource', 'runctx', 'runstring', 'loads', 'load_source'],
  ...['load_module', 'load_dynamic', 'load_library', 'LoadLibrary', 'CDLL', 'dlopen', 'urlopen', 'urlretrieve'],
  ...['create_connection', 'unsafe_load', 'full_load'],
]);

/** Top-level module names: reached as an attribute (`torch.serialization.os`), they are that module. */
const MODULE_ATTRIBUTES = new Set([...DANGEROUS_MODULES].filter((m) => !m.includes('.')));

/** A dunder segment reaches into a function's or class's internals (`__globals__`, `__subclasses__`). */
function isDunder(segment: string): boolean {
  return segment.length > 4 && segment.startsWith('__') && segment.endsWith('__');
}

/** Why `module`.`name` is dangerous, or null. */
export function dangerOf(module: string, name: string): string | null {
  const attrs = name.split('.');
  const segments = [...module.split('.'), ...attrs];
  for (let i = 1; i <= segments.length; i++) {
    const prefix = segments.slice(0, i).join('.');
    if (DANGEROUS_MODULES.has(prefix)) return `${prefix} is a module that runs code, processes, files or network`;
    if (DANGEROUS_NAMES.has(prefix)) return `${prefix} loads, saves or runs code`;
  }
  // Only the attribute path: a user's own submodule `pkg.types` is not the stdlib's, and
  // `__main__` (a notebook's classes) is a module, not an object's internals.
  for (const s of attrs) {
    if (isDunder(s)) return `${s} reaches into an object's internals`;
    if (MODULE_ATTRIBUTES.has(s)) return `.${s} is the ${s} module reached as an attribute`;
  }
  const leaf = segments[segments.length - 1] ?? '';
  if (DANGEROUS_LEAVES.has(leaf)) return `${leaf} runs code or commands`;
  return null;
}

/** The level of a global, from its module and (possibly dotted) name alone. */
export function safetyOf(module: string, name: string): PickleLevel {
  if (SAFE_PAIRS.has(`${module}\0${name}`)) return 'safe';
  const [m, n] = canonical(module, name);
  if (SAFE_PAIRS.has(`${m}\0${n}`)) return 'safe';
  if (dangerOf(m, n) !== null || dangerOf(module, name) !== null) return 'dangerous';
  return 'suspicious';
}
