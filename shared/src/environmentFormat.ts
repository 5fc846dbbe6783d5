import type { EnvironmentInfo, PackageInfo } from './domain';

/** `pip install -r`-able lines; PEP 610 direct URLs become `name @ url`. */
export function toRequirements(env: EnvironmentInfo): string {
  const lines = [
    `# python ${env.interpreter?.version ?? 'unknown'} (${env.interpreter?.executable ?? 'interpreter not found'})`,
  ];
  for (const p of sortedPackages(env.packages)) {
    const url = directUrlOf(p);
    lines.push(url ? `${p.name} @ ${url}` : `${p.name}==${p.version}`);
  }
  return lines.join('\n') + '\n';
}

/** An environment.yml: conda packages when the env is a conda env, pip packages beneath. */
export function toCondaYaml(env: EnvironmentInfo, name = 'mlsnap-env'): string {
  const out = [`name: ${name}`, 'dependencies:'];
  const condaNames = new Set<string>();
  if (env.conda) {
    for (const c of [...env.conda.packages].sort((a, b) => a.name.localeCompare(b.name))) {
      condaNames.add(normalizeName(c.name));
      out.push(`  - ${c.channel ? `${c.channel}::` : ''}${c.name}=${c.version}${c.build ? `=${c.build}` : ''}`);
    }
  } else if (env.interpreter) {
    const [major, minor] = env.interpreter.version.split('.');
    out.push(`  - python=${major ?? '3'}.${minor ?? ''}`);
  }
  const pip = sortedPackages(env.packages).filter((p) => !condaNames.has(normalizeName(p.name)));
  if (pip.length > 0) {
    out.push('  - pip', '  - pip:');
    for (const p of pip) {
      const url = directUrlOf(p);
      out.push(`    - ${url ? `${p.name} @ ${url}` : `${p.name}==${p.version}`}`);
    }
  }
  return out.join('\n') + '\n';
}

/** PEP 503 normalisation: names that differ only in case and -_. are the same package. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function sortedPackages(pkgs: PackageInfo[]): PackageInfo[] {
  return [...pkgs].sort((a, b) => normalizeName(a.name).localeCompare(normalizeName(b.name)));
}

function directUrlOf(p: PackageInfo): string | null {
  const d = p.directUrl as { url?: unknown; dir_info?: { editable?: unknown } } | undefined;
  if (!d || typeof d.url !== 'string') return null;
  // Editable local installs cannot be reproduced elsewhere: pin the version instead.
  if (d.dir_info?.editable === true) return null;
  return d.url;
}
