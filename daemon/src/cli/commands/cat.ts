import { pipeline } from 'node:stream/promises';
import { MlsnapError } from '../../../../shared/src/errors';
import type { DaemonClient } from '../DaemonClient';
import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';

/**
 * The daemon ends a response early when a blob fails its hash check while streaming (its
 * headers were sent already). Said as what it is, an I/O error of the store, naming the blob.
 */
async function cutShort(c: DaemonClient, root: string, ref: string, e: unknown): Promise<MlsnapError> {
  if (e instanceof MlsnapError) return e;
  const blob = await c.call('ref/show', { root, ref }).then(
    (r) => r.version?.blob.slice(0, 16) ?? '?',
    () => '?',
  );
  return new MlsnapError(
    'io',
    `reading ${ref} stopped before its end: blob ${blob} failed its check in the daemon (${(e as Error).message}); what was written is not the version. Run \`mlsnap check\``,
  );
}

export const cat: CommandDef = {
  name: 'cat',
  summary: "a version's bytes to stdout",
  arguments: [{ name: '<ref>', description: 'path@N, path@latest or path@<tag>' }],
  // Output is the raw bytes either way; --json only makes errors JSON for scripts.
  json: true,
  project: true,
  async run({ args, ctx, project, client }) {
    const p = project();
    const ref = p.ref(operand(args, 0, 'a <ref>'));
    const c = await client();
    const stream = await c.content(p.root, ref);
    try {
      await pipeline(stream, ctx.out);
    } catch (e) {
      // `mlsnap cat x | head` closes the pipe early: that is not an error.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') return CLI_EXIT.ok;
      throw await cutShort(c, p.root, ref, e);
    }
    return CLI_EXIT.ok;
  },
};
