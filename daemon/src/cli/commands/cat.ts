import { pipeline } from 'node:stream/promises';
import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';

export const cat: CommandDef = {
  name: 'cat',
  summary: "a version's bytes to stdout",
  arguments: [{ name: '<ref>', description: 'path@N, path@latest or path@<tag>' }],
  // Output is the raw bytes either way; --json only makes errors JSON for scripts.
  json: true,
  project: true,
  async run({ args, ctx, project, client }) {
    const p = project();
    const stream = await (await client()).content(p.root, p.ref(operand(args, 0, 'a <ref>')));
    try {
      await pipeline(stream, ctx.out);
    } catch (e) {
      // `mlsnap cat x | head` closes the pipe early: that is not an error.
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
    }
    return CLI_EXIT.ok;
  },
};
