import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { InterpreterFactsCache } from './PythonInterpreter';
import { normalizePackageName, parseCoreMetadata, SitePackagesReader } from './PythonPackages';
import { DEBIAN_PYTHON, metadataVersion, tempDir } from './env.testkit';

function writeDistInfo(dir: string, entry: string, files: Record<string, string>): void {
  mkdirSync(path.join(dir, entry), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, entry, name), content);
}

describe('parseCoreMetadata', () => {
  test('reads Name and Version from the headers and ignores the description body', () => {
    const text = [
      'Metadata-Version: 2.1',
      'Name: Scikit_Learn',
      'Version: 1.2.1',
      'Summary: A set of python modules',
      '   continued summary line',
      '',
      'Name: not-this-one',
      'Version: 9.9.9',
    ].join('\n');
    assert.deepEqual(parseCoreMetadata(text), { name: 'Scikit_Learn', version: '1.2.1' });
  });

  test('handles CRLF line endings', () => {
    assert.deepEqual(parseCoreMetadata('Name: foo\r\nVersion: 2.0\r\n\r\nbody'), { name: 'foo', version: '2.0' });
  });
});

describe('normalizePackageName', () => {
  test('follows PEP 503', () => {
    assert.equal(normalizePackageName('Scikit_Learn'), 'scikit-learn');
    assert.equal(normalizePackageName('zope.interface'), 'zope-interface');
    assert.equal(normalizePackageName('a-_.b'), 'a-b');
  });
});

describe('SitePackagesReader on synthetic sys.path directories', () => {
  const tmp = tempDir('sitepkgs');
  after(tmp.cleanup);
  const first = path.join(tmp.dir, 'first');
  const second = path.join(tmp.dir, 'second');
  mkdirSync(first, { recursive: true });
  mkdirSync(second, { recursive: true });
  writeDistInfo(first, 'Foo_Bar-1.0.dist-info', {
    METADATA: 'Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\n\nlong description\n',
    INSTALLER: 'uv\n',
    'direct_url.json': JSON.stringify({ url: 'file:///src/foo', dir_info: { editable: true } }),
  });
  writeDistInfo(second, 'foo_bar-2.0.dist-info', { METADATA: 'Name: foo-bar\nVersion: 2.0\n' });
  writeDistInfo(second, 'legacy-0.3-py3.11.egg-info', {
    'PKG-INFO': 'Metadata-Version: 1.1\nName: legacy\nVersion: 0.3\n',
  });
  writeFileSync(
    path.join(second, 'single_file-4.5.egg-info'),
    'Metadata-Version: 1.0\nName: single-file\nVersion: 4.5\n',
  );
  writeDistInfo(second, 'headerless-7.1.dist-info', { RECORD: '' });
  writeFileSync(path.join(second, 'notes.txt'), 'not a package');

  test('first occurrence on sys.path wins, keeping its original name, installer and direct_url', async () => {
    const packages = await new SitePackagesReader().read([first, second, path.join(tmp.dir, 'missing')]);
    const fooBar = packages.filter((p) => normalizePackageName(p.name) === 'foo-bar');
    assert.equal(fooBar.length, 1);
    assert.deepEqual(fooBar[0], {
      name: 'Foo_Bar',
      version: '1.0',
      installer: 'uv',
      directUrl: { url: 'file:///src/foo', dir_info: { editable: true } },
      location: first,
    });
  });

  test('reads .egg-info directories and files, and falls back to the directory name', async () => {
    const packages = await new SitePackagesReader().read([second]);
    const byName = new Map(packages.map((p) => [p.name, p]));
    assert.equal(byName.get('legacy')?.version, '0.3');
    assert.equal(byName.get('single-file')?.version, '4.5');
    assert.equal(byName.get('headerless')?.version, '7.1');
    assert.equal(byName.get('foo-bar')?.version, '2.0');
    assert.equal(packages.length, 4);
  });

  test('sees a package installed after the directory was first read', async () => {
    const reader = new SitePackagesReader();
    const before = await reader.read([second]);
    assert.ok(!before.some((p) => p.name === 'late'));
    // mtime resolution can be coarse: make sure the directory's mtime really moves.
    await new Promise((r) => setTimeout(r, 20));
    writeDistInfo(second, 'late-1.0.dist-info', { METADATA: 'Name: late\nVersion: 1.0\n' });
    const afterInstall = await reader.read([second]);
    assert.equal(afterInstall.find((p) => p.name === 'late')?.version, '1.0');
  });
});

describe("Debian's /usr/bin/python3 (real dist-packages)", () => {
  test('lists torch, scikit-learn, onnx and numpy with the versions importlib.metadata reports', async () => {
    const facts = await new InterpreterFactsCache(process.env).get(DEBIAN_PYTHON, { timeoutMs: 20_000 });
    assert.ok(facts.path.includes('/usr/lib/python3/dist-packages'), `sys.path: ${facts.path.join(', ')}`);
    const packages = await new SitePackagesReader().read(facts.path);
    for (const distribution of ['torch', 'scikit-learn', 'onnx', 'numpy']) {
      const expected = metadataVersion(DEBIAN_PYTHON, distribution);
      const found = packages.find((p) => normalizePackageName(p.name) === distribution);
      assert.ok(found, `${distribution} missing from ${packages.length} packages`);
      assert.equal(found.version, expected, distribution);
      assert.equal(found.location, '/usr/lib/python3/dist-packages');
    }
  });
});
