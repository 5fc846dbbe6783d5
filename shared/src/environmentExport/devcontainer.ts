/** .devcontainer/devcontainer.json: open the recorded environment in VS Code, built from the Dockerfile beside it. */
import type { EnvironmentInfo } from '../domain';
import { pythonVersion } from './python';

export interface DevcontainerOptions {
  /** The Dockerfile's name, relative to the .devcontainer folder. */
  dockerfile?: string;
}

export function toDevcontainer(env: EnvironmentInfo, opts: DevcontainerOptions = {}): string {
  const gpu = env.gpus.length > 0;
  const config = {
    name: `mlsnap: python ${pythonVersion(env) ?? 'unknown'}`,
    build: { dockerfile: opts.dockerfile ?? 'Dockerfile', context: '.' },
    // A GPU was recorded, so the container asks the host for one (and Docker for access to it).
    ...(gpu ? { hostRequirements: { gpu: true }, runArgs: ['--gpus', 'all'] } : {}),
    customizations: {
      vscode: {
        extensions: ['ms-python.python', 'ms-toolsai.jupyter'],
        settings: { 'python.defaultInterpreterPath': '/opt/venv/bin/python' },
      },
    },
  };
  return JSON.stringify(config, null, 2) + '\n';
}
