/**
 * Recorded environments for the export tests. `debianEnv` is the demo as recorded on a Debian 12
 * machine (Debian's /usr/bin/python3 and its python3-* packages) plus the kinds of install that
 * come from elsewhere; `cudaEnv` a venv with PyTorch's CUDA 12.1 wheels on an H100.
 */
import type { EnvironmentInfo, PackageInfo } from '../domain';

const DIST = '/usr/lib/python3/dist-packages';
const USER_SITE = '/home/dev/.local/lib/python3.11/site-packages';
export const VCS_COMMIT = '9b3b6e7a1c2d4f5e6a7b8c9d0e1f2a3b4c5d6e7f';

export function debianEnv(): EnvironmentInfo {
  return environment('/usr/bin/python3', '3.11.2', [
    { name: 'torch', version: '1.13.0a0+gitunknown', location: DIST },
    { name: 'kiwisolver', version: '0.0.0', location: DIST },
    { name: 'python-apt', version: '2.6.0', location: DIST },
    { name: 'numpy', version: '1.24.2', location: DIST },
    { name: 'scikit-learn', version: '1.2.1', location: DIST },
    {
      name: 'mylib',
      version: '0.1.0',
      installer: 'pip',
      location: USER_SITE,
      directUrl: { url: 'file:///home/dev/src/mylib', dir_info: { editable: true } },
    },
    {
      name: 'localwheel',
      version: '2.0.0',
      installer: 'pip',
      location: USER_SITE,
      directUrl: {
        url: 'file:///home/dev/wheels/localwheel-2.0.0-py3-none-any.whl',
        archive_info: { hash: 'sha256=00', hashes: { sha256: '00' } },
      },
    },
    {
      name: 'attrs',
      version: '23.2.1.dev0',
      installer: 'pip',
      location: USER_SITE,
      directUrl: {
        url: 'https://github.com/python-attrs/attrs.git',
        vcs_info: { vcs: 'git', commit_id: VCS_COMMIT, requested_revision: 'main' },
      },
    },
    {
      name: 'six',
      version: '1.16.0',
      installer: 'pip',
      location: USER_SITE,
      directUrl: {
        url: 'https://files.pythonhosted.org/packages/d9/5a/six-1.16.0-py2.py3-none-any.whl',
        archive_info: {},
      },
    },
  ]);
}

export function cudaEnv(): EnvironmentInfo {
  const site = '/home/dev/proj/.venv/lib/python3.11/site-packages';
  const env = environment('/home/dev/proj/.venv/bin/python', '3.11.9', [
    { name: 'torch', version: '2.1.0+cu121', installer: 'pip', location: site },
    { name: 'torchvision', version: '0.16.0+cu121', installer: 'pip', location: site },
    { name: 'numpy', version: '1.26.4', installer: 'pip', location: site },
    { name: 'Pillow', version: '10.2.0', installer: 'pip', location: site },
  ]);
  env.gpus = [{ name: 'NVIDIA H100 80GB HBM3', driver: '550.54.15', cuda: '12.4', memoryMiB: 81559 }];
  return env;
}

export function environment(executable: string, version: string, packages: PackageInfo[]): EnvironmentInfo {
  return {
    interpreter: { executable, version, prefix: '/usr', foundBy: 'path', detail: 'python3 on PATH' },
    packages,
    conda: null,
    machine: {
      os: 'Debian GNU/Linux 12 (bookworm)',
      release: '6.1.0-18-amd64',
      kernel: 'Linux',
      arch: 'x64',
      cpu: 'Intel(R) Xeon(R)',
      cpus: 16,
      memoryBytes: 64 * 2 ** 30,
    },
    gpus: [],
    gpuNote: 'nvidia-smi not found',
    lockfiles: [],
    envVarNames: [],
    complete: true,
  };
}

/** The package names an export must install (an index has them) and must not (it has not). */
export const DEBIAN_GOOD = ['numpy==1.24.2', 'scikit-learn==1.2.1'];
export const DEBIAN_DIRECT_GOOD = [
  `attrs @ git+https://github.com/python-attrs/attrs.git@${VCS_COMMIT}`,
  'six @ https://files.pythonhosted.org/packages/d9/5a/six-1.16.0-py2.py3-none-any.whl',
];
export const DEBIAN_FLAGGED = ['torch', 'kiwisolver', 'python-apt', 'mylib', 'localwheel'];
export const CUDA_GOOD = ['numpy==1.26.4', 'Pillow==10.2.0', 'torch==2.1.0+cu121', 'torchvision==0.16.0+cu121'];
