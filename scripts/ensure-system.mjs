// Debian packages the tests need: real interpreters with real ML libraries.
// Installed on first use when running as root; otherwise we stop and name them.
import { spawnSync } from 'node:child_process';

export const DEBIAN_PACKAGES = [
  'python3-venv',
  'python3-torch',
  'python3-onnx',
  'python3-sklearn',
  'python3-joblib',
  'python3-nbconvert',
  'python3-ipykernel',
  'python3-jupyter-server',
  'python3-nbformat',
  'python3-pandas',
  'python3-matplotlib',
  // Reproduce's tests build wheels with `setup.py bdist_wheel`.
  'python3-setuptools',
  'python3-wheel',
  'git',
];

function haveMlStack() {
  const probe =
    'import torch, onnx, sklearn, joblib, nbconvert, ipykernel, jupyter_server, matplotlib, ensurepip, venv, setuptools, wheel';
  return (
    spawnSync('/usr/bin/python3', ['-c', probe], { stdio: 'ignore' }).status === 0 &&
    spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0
  );
}

export function ensureSystem() {
  if (haveMlStack()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const cmd = `apt-get install -y ${DEBIAN_PACKAGES.join(' ')}`;
  if (!isRoot || spawnSync('which', ['apt-get'], { stdio: 'ignore' }).status !== 0) {
    console.error(`mlsnap tests need Debian's Python ML packages. Install them with:\n  sudo ${cmd}`);
    process.exit(1);
  }
  console.log(`installing Debian packages the tests use (about 3 minutes): ${DEBIAN_PACKAGES.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...DEBIAN_PACKAGES],
  ]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) {
      console.error(`apt-get ${args.join(' ')} failed; run it by hand:\n  ${cmd}`);
      process.exit(1);
    }
  }
  if (!haveMlStack()) {
    console.error(`the packages installed but /usr/bin/python3 still cannot import them; check: ${cmd}`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) ensureSystem();
