import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';

export const tag: CommandDef = {
  name: 'tag',
  summary: 'name a version; tagged versions survive gc',
  arguments: [
    { name: '<ref>', description: 'the version to name' },
    { name: '<name>', description: 'the tag; usable as path@<name>' },
  ],
  json: true,
  project: true,
  async run({ args, project, client, print }) {
    const p = project();
    const v = await (
      await client()
    ).call('version/tag', {
      root: p.root,
      ref: p.ref(operand(args, 0, 'a <ref>')),
      name: operand(args, 1, 'a tag name'),
    });
    print(`tagged ${v.path}@${v.seq} as ${v.tags.join(', ')}`, v);
    return CLI_EXIT.ok;
  },
};
