import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EnvironmentInfo, GitState, PackageInfo } from '../../../../shared/src/domain';
import { diffEnvironments, environmentSummaryLine } from './EnvironmentDiff';
import { compareVersions, isPep440 } from './versions';

const SITE = '/home/ana/proj/.venv/lib/python3.11/site-packages';

function pkg(name: string, version: string, extra: Partial<PackageInfo> = {}): PackageInfo {
  return { name, version, installer: 'pip', location: SITE, ...extra };
}

function env(overrides: Partial<EnvironmentInfo> = {}): EnvironmentInfo {
  return {
    interpreter: {
      executable: '/home/ana/proj/.venv/bin/python',
      version: '3.11.2',
      prefix: '/home/ana/proj/.venv',
      foundBy: 'kernelspec',
      detail: 'kernelspec python3 in /home/ana/proj/.venv/share/jupyter/kernels/python3/kernel.json',
    },
    packages: [
      pkg('torch', '1.13.1'),
      pkg('numpy', '1.24.2+debian', { installer: 'debian', location: '/usr/lib/python3/dist-packages' }),
      pkg('scikit_learn', '1.2.2'),
      pkg('Jinja2', '3.1.2'),
      pkg('mylib', '0.1.0', { directUrl: { url: 'file:///home/ana/mylib', dir_info: { editable: true } } }),
      pkg('transformers', '4.30.0', {
        directUrl: {
          url: 'https://github.com/huggingface/transformers',
          vcs_info: { vcs: 'git', commit_id: 'aaaaaaa1111111' },
        },
      }),
      pkg('tqdm', '4.65.0'),
    ],
    conda: null,
    machine: {
      os: 'Linux',
      release: 'Ubuntu 22.04.3 LTS',
      kernel: '5.15.0-88-generic',
      arch: 'x64',
      cpu: 'AMD EPYC 7763 64-Core Processor',
      cpus: 16,
      memoryBytes: 64 * 1024 ** 3,
    },
    gpus: [
      { name: 'NVIDIA A100-SXM4-40GB', driver: '525.85.12', cuda: '12.0', memoryMiB: 40960 },
      { name: 'NVIDIA A100-SXM4-40GB', driver: '525.85.12', cuda: '12.0', memoryMiB: 40960 },
    ],
    lockfiles: [{ path: 'requirements.txt', blob: 'b1' }],
    envVarNames: ['CUDA_VISIBLE_DEVICES', 'HF_HOME'],
    complete: true,
    ...overrides,
  };
}

const git = (commit: string | null, dirty: boolean, patchBlob?: string): GitState => ({
  commit,
  branch: 'main',
  dirty,
  ...(patchBlob ? { patchBlob } : {}),
});

describe('version comparison', () => {
  const less: [string, string][] = [
    ['1.13.1', '2.0.0'],
    ['1.9', '1.10'],
    ['2.0.0rc1', '2.0.0'],
    ['1.0', '1.0.post1'],
    ['1.24.2+debian', '1.24.3'],
    ['1.0.dev1', '1.0a1'],
    ['1.0a1', '1.0a2'],
    ['1.0a2', '1.0b1'],
    ['1.0b1', '1.0rc1'],
    ['1.0rc1', '1.0'],
    ['1.0', '1.0+local'],
    ['1.0+abc', '1.0+1'],
    ['1.0.post1.dev1', '1.0.post1'],
    ['1.0', '1.0.1'],
    ['2023.10', '2024.1'],
    ['9.9', '1!0.1'],
    ['1.0', 'v1.1'],
    ['0.4.0-beta', '0.4.0'],
    ['2.0.0-alpha.1', '2.0.0-alpha.2'],
    ['1.1.1t', '1.1.1w'],
    ['3.0.0rc1', '3.0.0-1'],
  ];
  test('ordering cases', () => {
    for (const [a, b] of less) {
      assert.ok(compareVersions(a, b) < 0, `${a} < ${b}`);
      assert.ok(compareVersions(b, a) > 0, `${b} > ${a}`);
    }
  });
  test('equal versions', () => {
    for (const [a, b] of [
      ['1.0', '1.0.0'],
      ['1.0rc1', '1.0-rc.1'],
      ['1.0c1', '1.0rc1'],
      ['1.0-1', '1.0.post1'],
      ['2.0.0', '2.0.0'],
    ] as const) {
      assert.equal(compareVersions(a, b), 0, `${a} == ${b}`);
    }
  });
  test('which versions are PEP 440', () => {
    for (const v of ['1!2.0.0rc1.post2.dev3+ubuntu.1', 'v1.1', '1.0-rc.1', '2.1.0+cu121']) assert.ok(isPep440(v), v);
    for (const v of ['1.1.1t', '2024.01.02-abc', 'py311h6a678d5_0']) assert.ok(!isPep440(v), v);
  });
});

describe('environment diff', () => {
  test('packages upgraded, downgraded, added, removed, changed; python; summary', () => {
    const before = env();
    const after = env({
      interpreter: { ...(before.interpreter as NonNullable<EnvironmentInfo['interpreter']>), version: '3.11.7' },
      packages: [
        pkg('torch', '2.0.0'),
        pkg('numpy', '1.24.3'),
        pkg('scikit-learn', '1.1.3'),
        pkg('jinja2', '3.1.2'),
        pkg('mylib', '0.1.0', { directUrl: { url: 'file:///home/ana/mylib', dir_info: { editable: true } } }),
        pkg('transformers', '4.30.0', {
          directUrl: {
            url: 'https://github.com/huggingface/transformers',
            vcs_info: { vcs: 'git', commit_id: 'bbbbbbb2222222' },
          },
        }),
        pkg('pandas', '2.0.3'),
        pkg('torch', '1.0.0', { location: '/usr/lib/python3/dist-packages' }), // shadowed: first one wins
      ],
    });
    const d = diffEnvironments(before, after, git('abc1234def', false), git('abc1234def', false));
    assert.ok(d);
    assert.deepEqual(d.python, ['3.11.2', '3.11.7']);
    assert.equal(d.interpreter, null);
    assert.deepEqual(d.packages, [
      { name: 'numpy', change: 'upgraded', before: '1.24.2+debian', after: '1.24.3' },
      { name: 'torch', change: 'upgraded', before: '1.13.1', after: '2.0.0' },
      { name: 'scikit-learn', change: 'downgraded', before: '1.2.2', after: '1.1.3' },
      { name: 'transformers', change: 'changed', before: '4.30.0 (aaaaaaa)', after: '4.30.0 (bbbbbbb)' },
      { name: 'pandas', change: 'added', before: null, after: '2.0.3' },
      { name: 'tqdm', change: 'removed', before: '4.65.0', after: null },
    ]);
    assert.deepEqual(d.machine, {});
    assert.equal(d.gpu, null);
    assert.equal(d.git, null);
    assert.equal(
      environmentSummaryLine(d),
      'numpy 1.24.2+debian→1.24.3, torch 1.13.1→2.0.0, scikit-learn 1.2.2→1.1.3, transformers 4.30.0 (aaaaaaa)→4.30.0 (bbbbbbb), +pandas, 1 more packages; python 3.11.2→3.11.7',
    );
  });

  test('the example summary: torch upgrade, a new package, a python patch release', () => {
    const before = env({ packages: [pkg('torch', '1.13.1')] });
    const after = env({
      interpreter: { ...(before.interpreter as NonNullable<EnvironmentInfo['interpreter']>), version: '3.11.7' },
      packages: [pkg('torch', '2.0.0'), pkg('pandas', '2.1.0')],
    });
    assert.equal(
      environmentSummaryLine(diffEnvironments(before, after, null, null)),
      'torch 1.13.1→2.0.0, +pandas; python 3.11.2→3.11.7',
    );
  });

  test('machine, GPU, driver/CUDA, interpreter and git changes', () => {
    const before = env();
    const after = env({
      interpreter: {
        ...(before.interpreter as NonNullable<EnvironmentInfo['interpreter']>),
        executable: '/opt/conda/envs/ml/bin/python',
      },
      machine: {
        ...before.machine,
        kernel: '6.2.0-39-generic',
        cpu: 'Intel(R) Xeon(R) Platinum 8480+',
        memoryBytes: 128 * 1024 ** 3,
      },
      gpus: [{ name: 'NVIDIA H100 80GB HBM3', driver: '535.104.05', cuda: '12.2', memoryMiB: 81559 }],
    });
    const d = diffEnvironments(before, after, git('1111111aaaa', false), git('2222222bbbb', true, 'patch1'));
    assert.ok(d);
    assert.deepEqual(d.interpreter, ['/home/ana/proj/.venv/bin/python', '/opt/conda/envs/ml/bin/python']);
    assert.deepEqual(d.machine, {
      kernel: ['5.15.0-88-generic', '6.2.0-39-generic'],
      cpu: ['AMD EPYC 7763 64-Core Processor', 'Intel(R) Xeon(R) Platinum 8480+'],
      memory: ['64.0 GiB', '128.0 GiB'],
    });
    assert.deepEqual(d.gpu, [
      '2× NVIDIA A100-SXM4-40GB 40 GiB (driver 525.85.12, CUDA 12.0)',
      'NVIDIA H100 80GB HBM3 80 GiB (driver 535.104.05, CUDA 12.2)',
    ]);
    assert.deepEqual(d.git, { commit: ['1111111aaaa', '2222222bbbb'], dirty: [false, true] });
    assert.equal(
      environmentSummaryLine(d),
      'interpreter /home/ana/proj/.venv/bin/python→/opt/conda/envs/ml/bin/python; GPU 2× NVIDIA A100-SXM4-40GB 40 GiB (driver 525.85.12, CUDA 12.0)→NVIDIA H100 80GB HBM3 80 GiB (driver 535.104.05, CUDA 12.2); machine changed (kernel, cpu, memory); git 1111111→2222222; git clean→dirty',
    );

    // Only the driver changed.
    const driver = env({ gpus: before.gpus.map((g) => ({ ...g, driver: '535.54.03', cuda: '12.2' })) });
    assert.deepEqual(diffEnvironments(before, driver, null, null)?.gpu, [
      '2× NVIDIA A100-SXM4-40GB 40 GiB (driver 525.85.12, CUDA 12.0)',
      '2× NVIDIA A100-SXM4-40GB 40 GiB (driver 535.54.03, CUDA 12.2)',
    ]);
    // GPUs gone.
    const none = env({ gpus: [], gpuNote: 'nvidia-smi not found' });
    assert.deepEqual(diffEnvironments(before, none, null, null)?.gpu?.[1], 'none (nvidia-smi not found)');
    // Both without GPUs, for different reasons: no change.
    assert.equal(diffEnvironments(none, env({ gpus: [], gpuNote: 'nvidia-smi timed out' }), null, null)?.gpu, null);
  });

  test('git: other uncommitted changes, no repository on one side', () => {
    const e = env();
    assert.deepEqual(diffEnvironments(e, e, git('c1', true, 'p1'), git('c1', true, 'p2'))?.git, {
      commit: null,
      dirty: [true, true],
    });
    assert.equal(
      environmentSummaryLine(diffEnvironments(e, e, git('c1', true, 'p1'), git('c1', true, 'p2'))),
      'uncommitted changes differ',
    );
    assert.deepEqual(diffEnvironments(e, e, null, git('c1', false))?.git, { commit: [null, 'c1'], dirty: null });
    assert.equal(diffEnvironments(e, e, git('c1', true, 'p1'), git('c1', true, 'p1'))?.git, null);
  });

  test('conda packages without a pip counterpart are compared', () => {
    const conda = (cudatoolkit: string, build: string): EnvironmentInfo =>
      env({
        conda: {
          prefix: '/opt/conda/envs/ml',
          packages: [
            { name: 'python', version: '3.11.2', build: 'h7a1cb2a_0', channel: 'defaults' },
            { name: 'cudatoolkit', version: cudatoolkit, build: 'h6a678d5_0', channel: 'nvidia' },
            { name: 'mkl', version: '2023.1.0', build, channel: 'defaults' },
            { name: 'torch', version: '9.9', build: 'x' }, // pip metadata wins
          ],
        },
      });
    const d = diffEnvironments(conda('11.7.0', 'h213fc3f_46343'), conda('11.8.0', 'h6d0b1e8_46344'), null, null);
    assert.deepEqual(d?.packages, [
      { name: 'cudatoolkit', change: 'upgraded', before: '11.7.0', after: '11.8.0' },
      { name: 'mkl', change: 'changed', before: '2023.1.0 (h213fc3f_46343)', after: '2023.1.0 (h6d0b1e8_46344)' },
    ]);
  });

  test('a missing environment on one side; both missing', () => {
    assert.equal(diffEnvironments(null, null, git('a', false), git('b', false)), null);
    assert.equal(environmentSummaryLine(null), 'no environment recorded');
    const d = diffEnvironments(null, env(), null, null);
    assert.ok(d);
    assert.deepEqual(d.python, [null, '3.11.2']);
    assert.equal(d.packages.length, 7);
    assert.ok(d.packages.every((p) => p.change === 'added'));
    assert.deepEqual(d.machine, {});
  });

  test('an environment diffed with itself has no changes', () => {
    const e = env();
    const d = diffEnvironments(e, structuredClone(e), git('abc', true, 'p'), git('abc', true, 'p'));
    assert.deepEqual(d, {
      type: 'environment',
      python: null,
      interpreter: null,
      packages: [],
      machine: {},
      gpu: null,
      git: null,
    });
    assert.equal(environmentSummaryLine(d), 'no environment change');
  });
});
