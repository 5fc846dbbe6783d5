import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamValue } from '../../../../shared/src/runs';
import { literalAssignments, parsePythonLiteral } from './PythonLiteral';

const literals: [string, ParamValue][] = [
  // The demo notebook's knobs and their usual neighbours.
  ['32', 32],
  ['1e-3', 0.001],
  ['30', 30],
  ['0', 0],
  ['1_000', 1000],
  ['1_000.5', 1000.5],
  ['0x10', 16],
  ['0X1f', 31],
  ['0o17', 15],
  ['0b101', 5],
  ['-5', -5],
  ['+5', 5],
  ['- 2.5', -2.5],
  ['-0', 0],
  ['-0x10', -16],
  ['1.', 1],
  ['.5', 0.5],
  ['3.14', 3.14],
  ['2E10', 2e10],
  ['00', 0],
  ['12345678901234567890', '12345678901234567890'],
  ['-12345678901234567890', '-12345678901234567890'],
  // Strings, every quoting.
  ["'adam'", 'adam'],
  ['"adam"', 'adam'],
  ['"lr=0.1 # not a comment"', 'lr=0.1 # not a comment'],
  ["'a=b'  # a real comment", 'a=b'],
  ['"""line one\nline two"""', 'line one\nline two'],
  ["'''it's'''", "it's"],
  ['""', ''],
  ['""""""', ''],
  ["'tab\\there'", 'tab\there'],
  ["'\\n\\\\\\'\\\"'", '\n\\\'"'],
  ["'\\x41\\101\\u00e9\\U0001F600'", 'AAé😀'],
  ["'\\d+'", '\\d+'],
  ["'one \\\ntwo'", 'one two'],
  ["r'\\n\\d'", '\\n\\d'],
  ["R'\\''", "\\'"],
  ["b'bytes'", 'bytes'],
  ["rb'\\x00'", '\\x00'],
  ["u'unicode'", 'unicode'],
  ["'a' 'b'", 'ab'],
  ["('a'\n 'b')", 'ab'],
  ["'a' r'\\n'", 'a\\n'],
  // Constants.
  ['True', true],
  ['False', false],
  ['None', null],
  // Containers.
  ['[]', []],
  ['[1, 2, 3]', [1, 2, 3]],
  ['[1, [2, [3, []]]]', [1, [2, [3, []]]]],
  ['[64, 32,]', [64, 32]],
  ['()', []],
  ['(1,)', [1]],
  ['(1)', 1],
  ['(1, "a", None)', [1, 'a', null]],
  ['1, 2', [1, 2]],
  ['{}', {}],
  [
    "{'lr': 1e-3, 'layers': [64, 64], 'opt': {'name': 'adam', 'betas': (0.9, 0.999)}}",
    {
      lr: 0.001,
      layers: [64, 64],
      opt: { name: 'adam', betas: [0.9, 0.999] },
    },
  ],
  ['{1: "one", -2: "minus two"}', { '1': 'one', '-2': 'minus two' }],
  ["{'a': 1, 'a': 2}", { a: 2 }],
  ['{1, 2, 2, 3}', [1, 2, 3]],
  ["{'x',}", ['x']],
  ['[\n  1,  # one\n  2,\n]', [1, 2]],
  ['  42  ', 42],
];

const notLiterals = [
  '',
  '   ',
  '# only a comment',
  'np.zeros(3)',
  'float("inf")',
  "float('nan')",
  'set()',
  'dict(a=1)',
  'x',
  'true',
  'none',
  'HIDDEN',
  "f'{x}'",
  "f'plain'",
  "F'x'",
  "rf'{x}'",
  "t'{x}'",
  'lambda: 1',
  'lambda x=1: x',
  '2*3',
  '1 + 2',
  '2**8',
  '-x',
  '--1',
  '-True',
  '-"a"',
  '1j',
  '1 + 2j',
  '010',
  '1e999',
  '[1, x]',
  '[1, 2',
  '[1 2]',
  '(1 2)',
  '{1: 2, 3}',
  '{1, 2: 3}',
  '{1.5: "a"}',
  '{True: 1}',
  '{(1, 2): 3}',
  "{**base, 'a': 1}",
  '[*xs]',
  '...',
  'a if b else c',
  '1\n2',
  "'unterminated",
  '"""never closed',
  "'a' b'b'",
  "'\\N{BULLET}'",
  "'\\x4'",
  "b'caf\u00e9'",
  "'a'.upper()",
  '[1][0]',
  '(yield)',
  '%time 1',
  '!ls',
];

test('parsePythonLiteral reads pure literals', () => {
  for (const [text, expected] of literals) {
    assert.deepEqual(parsePythonLiteral(text), expected, text);
  }
});

test('parsePythonLiteral refuses calls, names, expressions, f-strings and malformed text', () => {
  for (const text of notLiterals) {
    assert.equal(parsePythonLiteral(text), undefined, JSON.stringify(text));
  }
});

test('a dict key `__proto__` stays a key and does not touch the prototype', () => {
  const value = parsePythonLiteral("{'__proto__': {'polluted': 1}}") as Record<string, unknown>;
  assert.deepEqual(Object.keys(value), ['__proto__']);
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('deep nesting reads as undefined, not a stack overflow', () => {
  assert.equal(parsePythonLiteral('['.repeat(5000) + ']'.repeat(5000)), undefined);
  let nested: ParamValue = [];
  for (let i = 1; i < 50; i++) nested = [nested];
  assert.deepEqual(parsePythonLiteral('['.repeat(50) + ']'.repeat(50)), nested);
});

test('CRLF source reads like LF', () => {
  assert.equal(parsePythonLiteral('"""a\r\nb"""'), 'a\nb');
});

test('literalAssignments: top-level literals, multi-line dicts, comments and annotations', () => {
  const code = [
    '# Parameters',
    'HIDDEN = 32  # width',
    'LR: float = 1e-3',
    'EPOCHS = 30',
    'CONFIG = {',
    '    "model": "mlp",  # a comment inside',
    "    'layers': [64,",
    '               64],',
    '    "note": """multi',
    'line = not a statement',
    '""",',
    '}',
    'NAME = "a # b = c"',
    'PATH = r"C:\\data"',
    'DEVICE = torch.device("cuda")',
    'model = build(hidden=HIDDEN)',
  ].join('\n');
  assert.deepEqual(literalAssignments(code), [
    { name: 'HIDDEN', value: 32 },
    { name: 'LR', value: 0.001 },
    { name: 'EPOCHS', value: 30 },
    {
      name: 'CONFIG',
      value: { model: 'mlp', layers: [64, 64], note: 'multi\nline = not a statement\n' },
    },
    { name: 'NAME', value: 'a # b = c' },
    { name: 'PATH', value: 'C:\\data' },
  ]);
});

test('literalAssignments: indented code and block bodies are not top level', () => {
  const code = [
    'if DEBUG:',
    '    EPOCHS = 1',
    'else:',
    '    EPOCHS = 100',
    'for i in range(3):',
    '    STEP = i',
    'def f(x=1):',
    '    LOCAL = 2',
    '    return LOCAL',
    'class C:',
    '    FIELD = 3',
    'else: WRONG = 1',
    'try: ALSO_WRONG = 2',
    'except Exception: pass',
    'with open("f") as fh: data = 1',
    'BATCH = 64',
  ].join('\n');
  assert.deepEqual(literalAssignments(code), [{ name: 'BATCH', value: 64 }]);
});

test('literalAssignments: unpacking, semicolons, and what is skipped', () => {
  const code = [
    'a, b = 1, 2',
    '(c, d) = [3, "x"]',
    'e, f = 1, 2, 3',
    'A = B = 1',
    'x.y = 3',
    'z[0] = 4',
    'n += 1',
    'm == 2',
    'q = 1; r = "two"',
    'w: int',
    'print(k=1)',
    'if (t := 5): pass',
    'fn = lambda x=1: x',
    "s = 'broken",
    'AFTER = True',
    'a1, *rest = 1, 2, 3',
    '_private = 0.5',
    '√ = 2',
  ].join('\n');
  assert.deepEqual(literalAssignments(code), [
    { name: 'a', value: 1 },
    { name: 'b', value: 2 },
    { name: 'c', value: 3 },
    { name: 'd', value: 'x' },
    { name: 'q', value: 1 },
    { name: 'r', value: 'two' },
    { name: 'AFTER', value: true },
    { name: '_private', value: 0.5 },
    { name: '√', value: 2 },
  ]);
});

test('literalAssignments: line continuations, magics and cell magics', () => {
  assert.deepEqual(literalAssignments('TOTAL = \\\n    10\n%matplotlib inline\n!pip install "x\nY = 2'), [
    { name: 'TOTAL', value: 10 },
    { name: 'Y', value: 2 },
  ]);
  assert.deepEqual(literalAssignments('%%time\nSEED = 3'), [{ name: 'SEED', value: 3 }]);
  assert.deepEqual(literalAssignments('%%bash\nSEED=3'), []);
  assert.deepEqual(literalAssignments('X = 1\r\nY = 2\r\n'), [
    { name: 'X', value: 1 },
    { name: 'Y', value: 2 },
  ]);
});

test('literalAssignments: a statement after a broken one still reads', () => {
  assert.deepEqual(literalAssignments('X = [1, 2\nY = 3'), []);
  assert.deepEqual(literalAssignments("X = 'oops\nY = 3"), [{ name: 'Y', value: 3 }]);
});
