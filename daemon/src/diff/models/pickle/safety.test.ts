import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safePairs } from './safeList';
import { canonical, dangerOf, safetyOf, worse } from './safety';

test('the safe list is exact pairs: the same object named another way, or a package prefix, is not safe', () => {
  assert.equal(safetyOf('torch._utils', '_rebuild_tensor_v2'), 'safe');
  assert.equal(safetyOf('torch', '_utils._rebuild_tensor_v2'), 'suspicious');
  assert.equal(safetyOf('numpy', 'float64'), 'safe');
  assert.equal(safetyOf('numpy.core.multiarray', '_reconstruct'), 'safe');
  assert.equal(safetyOf('numpy.core', 'multiarray'), 'suspicious');
  for (const [m, n] of [
    ['sklearn', 'anything'],
    ['sklearn.linear_model._logistic', 'LogisticRegression'],
    ['torch.nn.modules.container', 'Sequential'],
    ['xgboost.sklearn', 'XGBClassifier'],
  ])
    assert.equal(safetyOf(m as string, n as string), 'suspicious', `${m}.${n}`);
  // Everything listed is an exact pair with a plain name (no wildcard, no prefix).
  for (const [m, n] of safePairs()) {
    assert.match(m, /^[A-Za-z_][\w.]*$/);
    assert.match(n, /^[A-Za-z_]\w*$/, `${m}.${n}`);
    assert.equal(safetyOf(m, n), 'safe');
  }
});

test('dotted names are resolved segment by segment', () => {
  const dangerous: [string, string][] = [
    ['torch', 'serialization.os.system'],
    ['torch.serialization', 'os'],
    ['collections', 'OrderedDict.__init__.__globals__'],
    ['numpy', 'float64.__class__.__subclasses__'],
    ['mymodule', 'helpers.subprocess'],
    ['mymodule', 'runner.system'],
    ['torch.serialization', 'load'],
    ['torch', 'serialization.load'],
    ['torch', 'load'],
    ['numpy.core', '_ufunc_reconstruct'],
    ['numpy', 'testing._private.utils.runstring'],
    ['os.path', 'join'],
    ['sklearn.utils._testing', 'assert_run_python_script'],
    ['code', 'InteractiveInterpreter.runcode'],
    ['builtins', 'getattr'],
    ['copyreg', 'add_extension'],
  ];
  for (const [m, n] of dangerous) assert.equal(safetyOf(m, n), 'dangerous', `${m}.${n}`);
  assert.match(dangerOf('torch', 'serialization.os.system') ?? '', /\.os is the os module reached as an attribute/);
  assert.match(dangerOf('collections', 'OrderedDict.__init__.__globals__') ?? '', /__init__ reaches into/);
  // A package's own submodule named like a stdlib module is that package's; __main__ is a notebook's.
  assert.equal(safetyOf('mypkg.types', 'Config'), 'suspicious');
  assert.equal(safetyOf('__main__', 'Net'), 'suspicious');
  assert.equal(safetyOf('numpy.random._pickle', '__randomstate_ctor'), 'safe');
});

test('Python 2 names are mapped as the unpickler maps them', () => {
  assert.deepEqual(canonical('__builtin__', 'set'), ['builtins', 'set']);
  assert.deepEqual(canonical('__builtin__', 'xrange'), ['builtins', 'range']);
  assert.deepEqual(canonical('copy_reg', '_reconstructor'), ['copyreg', '_reconstructor']);
  assert.equal(safetyOf('__builtin__', 'set'), 'safe');
  assert.equal(safetyOf('__builtin__', 'xrange'), 'safe');
  assert.equal(safetyOf('copy_reg', '_reconstructor'), 'safe');
  assert.equal(safetyOf('__builtin__', 'reduce'), 'dangerous');
  assert.equal(safetyOf('commands', 'getoutput'), 'dangerous');
  assert.equal(safetyOf('__builtin__', 'eval'), 'dangerous');
  assert.equal(safetyOf('__builtin__', 'apply'), 'dangerous');
});

test('levels order: unknown outranks suspicious, dangerous outranks all', () => {
  assert.equal(worse('safe', 'suspicious'), 'suspicious');
  assert.equal(worse('suspicious', 'unknown'), 'unknown');
  assert.equal(worse('unknown', 'suspicious'), 'unknown');
  assert.equal(worse('dangerous', 'unknown'), 'dangerous');
  assert.equal(worse('unknown', 'dangerous'), 'dangerous');
});
