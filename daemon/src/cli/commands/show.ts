import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

export const show: CommandDef = {
  name: 'show',
  summary: 'a version or snapshot with its environment and git state',
  arguments: [{ name: '<ref>', description: 'path@N, path@latest, path@<tag> or a snapshot id prefix' }],
  json: true,
  project: true,
  async run({ args, project, client, print }) {
    const p = project();
    const r = await (
      await client()
    ).call('ref/show', { root: p.root, ref: p.ref(operand(args, 0, 'a <ref>')), estimate: true });
    print(fmt.showBlock(r), r);
    return CLI_EXIT.ok;
  },
};
