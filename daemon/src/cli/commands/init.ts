import * as path from 'node:path';
import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

export const init: CommandDef = {
  name: 'init',
  summary: 'create the store in dir (default: the current folder) and start watching it',
  arguments: [{ name: '[dir]', description: 'the project folder (default: the current folder)' }],
  json: true,
  async run({ args, ctx, client, print }) {
    const dir = path.resolve(ctx.cwd, args.length === 0 ? '.' : operand(args, 0, 'a folder'));
    const c = await client();
    const before = await c.call('daemon/status', {});
    const info = await c.call('project/init', { root: dir });
    // A second init changes nothing; saying "initialized" again would suggest it reset something.
    const again = before.projects.some((p) => p.root === info.root);
    const head = again ? `${info.root} is already an mlsnap project; nothing changed` : `initialized ${info.storeDir}`;
    print(`${head}\n${fmt.projectBlock(info)}`, info);
    return CLI_EXIT.ok;
  },
};
