/**
 * PEP 610 direct_url.json, as recorded in PackageInfo.directUrl (parsed JSON of unknown shape):
 * how pip was told where a package came from when it was not an index.
 */

export type DirectUrl =
  | { kind: 'vcs'; url: string; vcs: string; commitId: string | null; subdirectory: string | null }
  | { kind: 'archive'; url: string; subdirectory: string | null }
  | { kind: 'dir'; url: string; editable: boolean; subdirectory: string | null };

/** The direct URL, or null when there is none or it is not a PEP 610 record (then the index pin stands). */
export function readDirectUrl(raw: unknown): DirectUrl | null {
  if (!isRecord(raw) || !isUrlPart(raw['url'])) return null;
  const url = raw['url'];
  const subdirectory = isUrlPart(raw['subdirectory']) ? raw['subdirectory'] : null;
  const vcsInfo = raw['vcs_info'];
  if (isRecord(vcsInfo) && isUrlPart(vcsInfo['vcs'])) {
    const commitId = isUrlPart(vcsInfo['commit_id']) ? vcsInfo['commit_id'] : null;
    return { kind: 'vcs', url, vcs: vcsInfo['vcs'], commitId, subdirectory };
  }
  const dirInfo = raw['dir_info'];
  if (isRecord(dirInfo)) return { kind: 'dir', url, editable: dirInfo['editable'] === true, subdirectory };
  // PEP 610 says exactly one of the three is present; an archive is the only one left.
  return { kind: 'archive', url, subdirectory };
}

/** file:// URLs name a path on the recording machine, which no other machine has. */
export function isLocalUrl(url: string): boolean {
  return /^(?:[a-z]+\+)?file:/i.test(url);
}

/** The path of a file:// URL, for telling people which folder it was (`file:///home/a%20b` → `/home/a b`). */
export function pathOfUrl(url: string): string {
  const path = url.replace(/^(?:[a-z]+\+)?file:(?:\/\/[^/]*)?/i, '');
  try {
    return decodeURIComponent(path);
  } catch {
    // A stray `%` that is no escape: the path as written is still the best description.
    return path;
  }
}

/**
 * The PEP 508 direct reference pip installs it from: `name @ url`, for VCS with the recorded
 * commit appended (`git+https://host/repo@<commit>`), so it is the same code and not a branch's tip.
 */
export function directRequirement(name: string, d: DirectUrl): string {
  let url = d.url;
  if (d.kind === 'vcs') {
    if (!url.toLowerCase().startsWith(`${d.vcs.toLowerCase()}+`)) url = `${d.vcs}+${url}`;
    if (d.commitId) url = `${url}@${d.commitId}`;
  }
  if (d.subdirectory) url = `${url}#subdirectory=${d.subdirectory}`;
  return `${name} @ ${url}`;
}

/**
 * URLs hold no white space nor control characters; one that does (a line break, or \x1c or
 * \x85, at which pip's `splitlines()` also breaks) would split a requirement line in two.
 */
function isUrlPart(v: unknown): v is string {
  return typeof v === 'string' && v !== '' && !/[\s\u0000-\u001f\u007f-\u009f]/.test(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
