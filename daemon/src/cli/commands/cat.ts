import { pipeline } from 'node:stream/promises';
import { MlsnapError } from '../../../../shared/src/errors';
import { ContentCutShort, type DaemonClient } from '../DaemonClient';
import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';

/**
 * The daemon ends a response early when a blob fails its hash check while streaming (its
 * headers were sent already; smaller blobs and early failures come back as typed errors
 * instead). Said as what it is, an I/O error of the store, naming the version and its blob.
 */
async function cutShort(c: DaemonClient, root: string, e: ContentCutShort): Promise<MlsnapError> {
  // `path@latest` or a tag is named as the version it is (path@N), as the daemon's errors do.
  // A daemon that no longer answers died mid-send: that is not a corrupt blob, say it as it is.
  const version = await c.call('ref/show', { root, ref: e.ref }).then(
    (r) => r.version,
    () => null,
  );
  if (version === null) return e;
  return new MlsnapError(
    'io',
    `the stored bytes of ${version.path}@${version.seq} are corrupt: blob ${version.blob.slice(0, 16)} failed its check while being sent, so output stopped after ${e.received} bytes; what was written is not the version. Run \`mlsnap check\``,
    version.path,
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
    const c = await client();
    const stream = await c.content(p.root, p.ref(operand(args, 0, 'a <ref>')));
    try {
      await pipeline(stream, ctx.out);
    } catch (e) {
      // `mlsnap cat x | head` closes the pipe early: that is not an error.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') return CLI_EXIT.ok;
      // Errors writing stdout (a full disk) are reported as they are, not as a corrupt blob.
      throw e instanceof ContentCutShort ? await cutShort(c, p.root, e) : e;
    }
    return CLI_EXIT.ok;
  },
};
