import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { cudaVersionFromBanner, MachineProbe, parseNvidiaSmiQuery, prettyNameFromOsRelease } from './MachineProbe';
import { tempDir } from './env.testkit';

const tmp = tempDir('machine');
after(tmp.cleanup);

function fakeNvidiaSmi(name: string, script: string): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'nvidia-smi');
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return dir;
}

describe('machine facts', () => {
  test('os is PRETTY_NAME from /etc/os-release; the rest comes from node:os', () => {
    const machine = new MachineProbe(process.env).machine();
    if (existsSync('/etc/os-release')) {
      // Let the shell parse it: a second opinion on the quoting rules.
      const expected = execFileSync('sh', ['-c', '. /etc/os-release && printf %s "$PRETTY_NAME"'], {
        encoding: 'utf8',
      });
      assert.equal(machine.os, expected);
    }
    assert.equal(machine.release, os.release());
    assert.equal(machine.kernel, os.version());
    assert.equal(machine.arch, os.arch());
    assert.equal(machine.memoryBytes, os.totalmem());
    assert.ok(machine.cpus >= 1);
    assert.ok(machine.cpu.length > 0);
  });

  test('prettyNameFromOsRelease handles quoting and absence', () => {
    assert.equal(prettyNameFromOsRelease('NAME=x\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n'), 'Ubuntu 22.04.4 LTS');
    assert.equal(prettyNameFromOsRelease("PRETTY_NAME='Arch Linux'"), 'Arch Linux');
    assert.equal(prettyNameFromOsRelease('PRETTY_NAME=Alpine'), 'Alpine');
    assert.equal(prettyNameFromOsRelease('NAME=x'), null);
  });
});

describe('GPUs', () => {
  test("no nvidia-smi on PATH: no GPUs and the note 'nvidia-smi not found'", async () => {
    const empty = path.join(tmp.dir, 'empty');
    mkdirSync(empty);
    assert.deepEqual(await new MachineProbe({ PATH: empty }).gpus(), { gpus: [], note: 'nvidia-smi not found' });
  });

  test('nvidia-smi output is parsed, with the CUDA version from its banner, and cached', async () => {
    const counter = path.join(tmp.dir, 'smi-runs');
    const dir = fakeNvidiaSmi(
      'smi-ok',
      [
        '#!/bin/sh',
        `echo run >> '${counter}'`,
        'case "$1" in',
        '  --query-gpu=*) echo "NVIDIA H100 80GB HBM3, 550.54.15, 81559"; echo "NVIDIA H100 80GB HBM3, 550.54.15, 81559";;',
        '  *) echo "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4     |";;',
        'esac',
      ].join('\n'),
    );
    const probe = new MachineProbe({ PATH: `${dir}:/usr/bin:/bin` });
    const report = await probe.gpus();
    const h100 = { name: 'NVIDIA H100 80GB HBM3', driver: '550.54.15', cuda: '12.4', memoryMiB: 81559 };
    assert.deepEqual(report, { gpus: [h100, h100] });
    await probe.gpus();
    assert.equal(readFileSync(counter, 'utf8').trim().split('\n').length, 2, 'query + banner, once');
  });

  test('a failing nvidia-smi gives its error as the note', async () => {
    const dir = fakeNvidiaSmi(
      'smi-fail',
      '#!/bin/sh\necho "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." >&2\nexit 9\n',
    );
    const report = await new MachineProbe({ PATH: `${dir}:/usr/bin:/bin` }).gpus();
    assert.deepEqual(report.gpus, []);
    assert.match(report.note ?? '', /^nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate/);
  });

  test('parsers', () => {
    assert.deepEqual(parseNvidiaSmiQuery('Tesla T4, 535.104.05, 15360\n\n'), [
      { name: 'Tesla T4', driver: '535.104.05', memoryMiB: 15360 },
    ]);
    assert.deepEqual(parseNvidiaSmiQuery('A100, 535.1, [N/A]', '12.2'), [
      { name: 'A100', driver: '535.1', cuda: '12.2' },
    ]);
    assert.equal(cudaVersionFromBanner('Driver Version: 535.1   CUDA Version: 12.2 |'), '12.2');
    assert.equal(cudaVersionFromBanner('no cuda here'), undefined);
  });
});
