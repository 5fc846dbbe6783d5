/**
 * Which Node.js runs the daemon. Its native modules (better-sqlite3, zstd, the watcher) are
 * built for one ABI (NODE_MODULE_VERSION); Electron's Node in desktop VS Code has another, so
 * the daemon needs a real Node of the same ABI.
 */
export interface NodeCandidate {
  path: string;
  /** `process.versions.modules` of that binary, or null when it did not run. */
  modules: string | null;
  /** Where the candidate came from, for the error message. */
  source: string;
}

export function pickNode(candidates: NodeCandidate[], wantedModules: string): NodeCandidate | null {
  return candidates.find((c) => c.modules === wantedModules) ?? null;
}

export function noNodeMessage(candidates: NodeCandidate[], wantedModules: string): string {
  const tried = candidates
    .map((c) => `${c.path} (${c.source}: ${c.modules === null ? 'did not run' : `ABI ${c.modules}`})`)
    .join(', ');
  return (
    `mlsnap needs Node.js with ABI ${wantedModules} (Node 20) to run its daemon, and found none` +
    (tried ? `; tried ${tried}` : '') +
    '. Install Node.js 20 and put it on PATH, or set "mlsnap.nodePath".'
  );
}
