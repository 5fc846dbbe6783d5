/**
 * Export a recorded environment as files another machine can rebuild it from, in one of five
 * formats. Every format pins the same packages and flags the same ones (see pins.ts).
 */
import type { EnvironmentInfo } from '../domain';
import { toCondaYaml } from './conda';
import { toDevcontainer } from './devcontainer';
import { toDockerfile } from './dockerfile';
import { classifyPins, flaggedPins, type Pin } from './pins';
import { toRequirements } from './requirements';
import { toUvProject } from './uv';

export type ExportFormat = 'requirements' | 'conda' | 'uv' | 'dockerfile' | 'devcontainer';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['requirements', 'conda', 'uv', 'dockerfile', 'devcontainer'];

export interface ExportedFile {
  /** Relative path to write it at: requirements.txt, environment.yml, pyproject.toml, Dockerfile, .devcontainer/devcontainer.json + .devcontainer/Dockerfile */
  path: string;
  content: string;
}

export interface ExportOptions {
  /** Project-relative lockfiles the caller writes into the build context (Dockerfile formats copy them into the image). */
  lockfiles?: readonly string[];
}

export interface ExportResult {
  files: ExportedFile[];
  /** The pins no index can give: shown as comments in the files, listed here for the caller to report. */
  flagged: Pin[];
  /**
   * Where the caller writes the lockfiles it passed, relative to where it writes `files`: the
   * Dockerfile's build context ('' for dockerfile, '.devcontainer' for devcontainer); '' for
   * formats that do not use them.
   */
  lockfileDir: string;
}

export function exportEnvironment(env: EnvironmentInfo, format: ExportFormat, opts: ExportOptions = {}): ExportResult {
  const flagged = flaggedPins(classifyPins(env));
  const lockfiles = opts.lockfiles ?? [];
  switch (format) {
    case 'requirements':
      return { files: [{ path: 'requirements.txt', content: toRequirements(env) }], flagged, lockfileDir: '' };
    case 'conda':
      return { files: [{ path: 'environment.yml', content: toCondaYaml(env) }], flagged, lockfileDir: '' };
    case 'uv':
      return { files: [{ path: 'pyproject.toml', content: toUvProject(env) }], flagged, lockfileDir: '' };
    case 'dockerfile':
      return { files: [{ path: 'Dockerfile', content: toDockerfile(env, { lockfiles }) }], flagged, lockfileDir: '' };
    case 'devcontainer':
      return {
        files: [
          { path: '.devcontainer/devcontainer.json', content: toDevcontainer(env, { dockerfile: 'Dockerfile' }) },
          // Its build context is .devcontainer itself, so the lockfiles it copies are written there too.
          { path: '.devcontainer/Dockerfile', content: toDockerfile(env, { lockfiles }) },
        ],
        flagged,
        lockfileDir: '.devcontainer',
      };
  }
}

export { baseImageFor, toDockerfile, type BaseImage, type DockerfileOptions } from './dockerfile';
export { toDevcontainer, type DevcontainerOptions } from './devcontainer';
export { toCondaYaml } from './conda';
export { toRequirements } from './requirements';
export { toUvProject } from './uv';
export { classifyPins, normalizeName, type Pin, type PinProblem, type PinProblemKind } from './pins';
