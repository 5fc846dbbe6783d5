/** environment.yml: what `conda env create -f` reads. */
import type { CondaInfo, EnvironmentInfo } from '../domain';
import { classifyPins, describeFlagged, flaggedPins, installablePins, normalizeName, type Pin } from './pins';
import { pythonMinor } from './python';

/**
 * Conda packages when the environment is a conda env (else just `python=X.Y`), pip pins
 * beneath for what conda did not install; pins no index has are YAML comments, so the file
 * still creates an environment.
 */
export function toCondaYaml(env: EnvironmentInfo, name = 'mlsnap-env'): string {
  const out = [`name: ${yamlScalar(name)}`, 'dependencies:'];
  const condaNames = new Set<string>();
  if (env.conda) {
    for (const c of sortedConda(env.conda)) {
      if (typeof c.name === 'string') condaNames.add(normalizeName(c.name));
      out.push(`  - ${yamlScalar(condaSpec(c))}`);
    }
  } else {
    const minor = pythonMinor(env);
    if (minor) out.push(`  - python=${minor}`);
  }
  const pins = classifyPins(env).filter((p) => !condaNames.has(normalizeName(p.name)));
  out.push(...pipSection(installablePins(pins), flaggedPins(pins)));
  return out.join('\n') + '\n';
}

type CondaPackage = CondaInfo['packages'][number];

function sortedConda(conda: CondaInfo): CondaPackage[] {
  return [...conda.packages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function condaSpec(c: CondaPackage): string {
  return `${c.channel ? `${c.channel}::` : ''}${c.name}=${c.version}${c.build ? `=${c.build}` : ''}`;
}

/** An empty `pip:` list is a null conda refuses, so with nothing installable the flagged pins stand alone. */
function pipSection(installable: readonly Pin[], flagged: readonly Pin[]): string[] {
  const comments = flagged.map((p) => `# ${describeFlagged(p)}`);
  const notPinned = '# Not pinned: no package index has these builds.';
  if (installable.length === 0)
    return comments.length === 0 ? [] : [`  ${notPinned}`, ...comments.map((c) => `  ${c}`)];
  const lines = ['  - pip', '  - pip:', ...installable.map((p) => `    - ${yamlScalar(p.requirement)}`)];
  if (comments.length > 0) lines.push(`    ${notPinned}`, ...comments.map((c) => `    ${c}`));
  return lines;
}

/**
 * Plain when it cannot be read as anything but a string; otherwise double-quoted (JSON's
 * escaping is valid YAML, `\uXXXX` included), since a URL's ` #`, a trailing `:` or a name like `yes` or `2024`
 * would change its meaning.
 */
function yamlScalar(s: string): string {
  const plain =
    /^[A-Za-z0-9_][A-Za-z0-9_.+=!<>~,:/-]*$/.test(s) &&
    !s.endsWith(':') &&
    !/^[-+.\d_:e]*$/i.test(s) &&
    !/^(?:true|false|yes|no|on|off|null|y|n)$/i.test(s);
  // JSON leaves DEL, C1 and the Unicode separators raw, which YAML does not allow or reads as a line break.
  return plain
    ? s
    : JSON.stringify(s).replace(
        /[\u007f-\u009f\u2028\u2029]/g,
        (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
}
