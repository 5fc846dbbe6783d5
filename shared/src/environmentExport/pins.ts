/**
 * The recorded packages as pins an installer can act on, each judged once: can some package
 * index give this exact build, and if not, why not and what to write instead. Every export
 * format renders these, so the judgement is made here and nowhere else.
 */
import type { EnvironmentInfo, PackageInfo } from '../domain';
import { oneLine, quoted } from './comment';
import { directRequirement, isLocalUrl, pathOfUrl, readDirectUrl, type DirectUrl } from './directUrl';
import { isPreOrDevRelease, parseVersion, publicVersion, type Pep440Version } from './pep440';

export type PinProblemKind =
  | 'local-version'
  | 'placeholder-version'
  | 'invalid-version'
  | 'system-only'
  | 'local-path'
  | 'editable'
  /** A name that is not a PEP 508 name, or a version that is not a string: a malformed or hostile record. */
  | 'invalid-name';

export interface PinProblem {
  kind: PinProblemKind;
  /** One sentence: where it came from. */
  reason: string;
  /** One sentence: what to use instead. */
  instead: string;
}

export interface Pin {
  /** The recorded name; for an `invalid-name` pin, the recorded value quoted (see `quoted`), safe to show. */
  name: string;
  version: string;
  /** The requirement line to install it: `name==version`, or `name @ url` for PEP 610 direct (vcs/archive URL) installs. */
  requirement: string;
  /** An extra index it needs (torch `+cu121` builds: https://download.pytorch.org/whl/cu121). */
  extraIndexUrl?: string;
  /** null when an index can give it. */
  problem: PinProblem | null;
}

/** PEP 503 normalisation: names that differ only in case and -_. are the same package. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * PEP 508's name: what pip accepts as a project name. A record is untrusted (a teammate's, pulled
 * from a remote): a name like `--index-url=https://evil.example/simple` would be a live option in
 * requirements.txt, one holding a line break a separate Dockerfile instruction.
 */
const PEP508_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

export function isValidPackageName(name: unknown): name is string {
  return typeof name === 'string' && PEP508_NAME.test(name);
}

/** One pin per distinct package, sorted by normalised name. */
export function classifyPins(env: EnvironmentInfo): Pin[] {
  return distinctPins(env.packages.map(classifyPackage)).sort((a, b) =>
    compareNames(normalizeName(a.name), normalizeName(b.name)),
  );
}

/**
 * The first rule that applies decides. A name that is no package name comes first: nothing
 * else about such a record can be trusted. Then a direct URL: it says where the code came from,
 * so the version does not matter; then OS-only names, whose versions are fine but useless.
 */
export function classifyPackage(p: PackageInfo): Pin {
  const malformed = malformedPin(p);
  if (malformed) return malformed;
  const version = p.version.trim();
  const pin = (problem: PinProblem | null): Pin => ({
    name: p.name,
    version,
    requirement: `${p.name}==${version}`,
    problem,
  });
  const direct = readDirectUrl(p.directUrl);
  if (direct) return directPin(p, version, direct);
  const systemOnly = systemOnlyProblem(p);
  if (systemOnly) return pin(systemOnly);
  const parsed = parseVersion(version);
  if (version === '' || (parsed && isPlaceholder(parsed))) return pin(placeholderProblem(p, version));
  if (!parsed) return pin(invalidProblem(p, version));
  if (parsed.local === null) return pin(null);
  const extraIndexUrl = pytorchIndexFor(p.name, parsed);
  if (extraIndexUrl) return { ...pin(null), extraIndexUrl };
  return pin(localVersionProblem(p, version, parsed.local));
}

/**
 * The sys.path order already made the capture keep one of each; this keeps an export
 * installable (pip refuses a "double requirement") even for an environment recorded otherwise.
 */
function distinctPins(pins: readonly Pin[]): Pin[] {
  const seen = new Set<string>();
  return pins.filter((p) => {
    const key = normalizeName(p.name);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Code-point order, not localeCompare: the same file on every machine whatever its locale. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The pins an index can give, in order. */
export function installablePins(pins: readonly Pin[]): Pin[] {
  return pins.filter((p) => p.problem === null);
}

export function flaggedPins(pins: readonly Pin[]): Pin[] {
  return pins.filter((p) => p.problem !== null);
}

/** The extra indexes the installable pins need, each once, sorted. */
export function extraIndexUrls(pins: readonly Pin[]): string[] {
  const urls = installablePins(pins).flatMap((p) => (p.extraIndexUrl === undefined ? [] : [p.extraIndexUrl]));
  return [...new Set(urls)].sort(compareNames);
}

/**
 * `torch==1.13.0a0+gitunknown  — <reason> Instead: <instead>`, on one line with no control
 * character: every format shows it as a comment. A malformed record's reason names it already.
 */
export function describeFlagged(pin: Pin): string {
  if (pin.problem?.kind === 'invalid-name') return oneLine(`${pin.problem.reason} Instead: ${pin.problem.instead}`);
  return oneLine(
    pin.problem ? `${pin.requirement}  — ${pin.problem.reason} Instead: ${pin.problem.instead}` : pin.requirement,
  );
}

// --- malformed records ---

/**
 * A pin for a package whose name is not a PEP 508 name or whose version is not a string (a
 * record made by hand, or to attack): never installable, and shown only quoted, so that neither
 * can become a live line. Null for a well-formed package.
 */
function malformedPin(p: PackageInfo): Pin | null {
  // Not even an object is possible in a record from elsewhere.
  const { name, version } = ((p as unknown) ?? {}) as { name?: unknown; version?: unknown };
  const validName = isValidPackageName(name);
  if (validName && typeof version === 'string') return null;
  const shownName = validName ? name : quoted(name);
  const shownVersion = typeof version === 'string' ? version.trim() : quoted(version);
  const reason = validName
    ? `${name}'s version ${quoted(version)} is not a string.`
    : `${shownName} is not a valid package name.`;
  return {
    name: shownName,
    version: shownVersion,
    requirement: shownName,
    problem: { kind: 'invalid-name', reason, instead: 'Check where this record came from.' },
  };
}

// --- direct URL installs (PEP 610) ---

function directPin(p: PackageInfo, version: string, d: DirectUrl): Pin {
  const requirement = directRequirement(p.name, d);
  if (d.kind === 'dir' && d.editable) return { name: p.name, version, requirement, problem: editableProblem(d) };
  if (isLocalUrl(d.url)) return { name: p.name, version, requirement, problem: localPathProblem(d) };
  return { name: p.name, version, requirement, problem: null };
}

function editableProblem(d: DirectUrl): PinProblem {
  const path = pathOfUrl(d.url);
  return {
    kind: 'editable',
    reason: `Installed editable (\`pip install -e\`) from ${path}: its code is that working folder on the recording machine, not a release.`,
    instead: `Install that project itself (\`pip install -e ${path}\` from a copy of it), or publish it and pin the release.`,
  };
}

function localPathProblem(d: DirectUrl): PinProblem {
  const path = pathOfUrl(d.url);
  const what = d.kind === 'vcs' ? 'a local repository' : d.kind === 'dir' ? 'a local folder' : 'a local file';
  const instead =
    d.kind === 'archive'
      ? `Copy ${baseName(path)} next to this file and install it with \`--find-links\`, or publish it and pin the release.`
      : `Copy the project and install it by path (or build a wheel and use \`--find-links\`), or publish it and pin the release.`;
  return { kind: 'local-path', reason: `Installed from ${path}, ${what} on the recording machine.`, instead };
}

function baseName(path: string): string {
  return path.replace(/\/+$/, '').split('/').pop() ?? path;
}

// --- OS packages ---

/**
 * Distributions PyPI does not have: they come only as OS packages, built against the system's
 * own libraries (apt's C++ library, the distribution's bug tracker). Value: the Debian package.
 * Kept to names known not to be on PyPI; a missing one just shows up as an install error.
 */
const SYSTEM_ONLY: Readonly<Record<string, string>> = {
  'python-apt': 'python3-apt',
  'apt-xapian-index': 'apt-xapian-index',
  reportbug: 'python3-reportbug',
  'unattended-upgrades': 'unattended-upgrades',
};

function systemOnlyProblem(p: PackageInfo): PinProblem | null {
  const deb = SYSTEM_ONLY[normalizeName(p.name)];
  if (deb === undefined) return null;
  return {
    kind: 'system-only',
    reason: `${p.name} is not on PyPI: it exists only as an OS package (Debian's ${deb}).`,
    instead: `Install it in the image with \`apt-get install ${deb}\`, or drop it if nothing imports it.`,
  };
}

/** Debian's own builds live in /usr/lib/python3/dist-packages; pip's on Debian go to /usr/local. */
function isDebianBuild(p: PackageInfo): boolean {
  return p.installer === 'debian' || /^\/usr\/lib\/python3(?:\.\d+)?\/dist-packages\/?$/.test(p.location);
}

/** Debian names most Python packages python3-<name> (a guess: scikit-learn is python3-sklearn). */
function debianPackageName(name: string): string {
  return `python3-${normalizeName(name).replace(/^python-/, '')}`;
}

// --- versions ---

/** `0.0.0` is what setuptools-scm and friends write when a build had no version to give. */
function isPlaceholder(v: Pep440Version): boolean {
  return v.release.every((n) => n === 0) && v.pre === null && v.post === null && v.dev === null;
}

function placeholderProblem(p: PackageInfo, version: string): PinProblem {
  const deb = isDebianBuild(p) ? debianPackageName(p.name) : null;
  const shown = version === '' ? 'no version' : `version ${version}`;
  return {
    kind: 'placeholder-version',
    reason: deb
      ? `${p.name} reports ${shown}, a placeholder: Debian's build (${deb}) leaves the real version out.`
      : `${p.name} reports ${shown}, a placeholder its build left instead of the real version.`,
    instead: deb
      ? `Use ${p.name} unpinned, or pin the version of the Debian package (\`dpkg -s ${deb}\`).`
      : `Use ${p.name} unpinned, or pin the release it was built from.`,
  };
}

function invalidProblem(p: PackageInfo, version: string): PinProblem {
  const origin = isDebianBuild(p) ? ` (Debian's build, package probably ${debianPackageName(p.name)})` : '';
  return {
    kind: 'invalid-version',
    reason: `${p.name}'s version "${version}" is not a PEP 440 version${origin}, so no package index can serve it.`,
    instead: `Pin the nearest published release of ${p.name}, or leave it unpinned.`,
  };
}

const PYTORCH_PACKAGES = new Set(['torch', 'torchvision', 'torchaudio']);

/**
 * PyTorch publishes its CUDA, CPU and ROCm builds, local label and all, on its own index. Not
 * nightlies (dev releases): that index drops them after a while.
 */
function pytorchIndexFor(name: string, v: Pep440Version): string | null {
  if (!PYTORCH_PACKAGES.has(normalizeName(name)) || v.local === null || v.dev !== null) return null;
  if (!/^(?:cu\d{2,3}|cpu|rocm\d+(?:\.\d+)*)$/.test(v.local)) return null;
  return `https://download.pytorch.org/whl/${v.local}`;
}

function localVersionProblem(p: PackageInfo, version: string, label: string): PinProblem {
  const deb = isDebianBuild(p) ? debianPackageName(p.name) : null;
  const origin = deb ? `: Debian's build, from ${p.location} (package probably ${deb})` : '';
  const orDebian = deb ? `, or the Debian package ${deb}` : '';
  return {
    kind: 'local-version',
    reason: `${p.name} ${version} is a local build (label +${label}), not a published release${origin}.`,
    instead: `${nearestRelease(p.name, version)}${orDebian}.`,
  };
}

/**
 * A pre- or dev release with a local label (`1.13.0a0+gitunknown`) is a source build of a
 * snapshot before the release, which was never published: the release series is the nearest.
 */
function nearestRelease(name: string, version: string): string {
  const release = parseVersion(version)?.release ?? [];
  if (!isPreOrDevRelease(version)) return `The public release ${name}==${publicVersion(version) ?? version}`;
  const [major = 0, minor] = release;
  const range = minor === undefined ? `>=${major},<${major + 1}` : `>=${major}.${minor},<${major}.${minor + 1}`;
  return `The nearest release, e.g. ${name}${range}`;
}
