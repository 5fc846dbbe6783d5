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
    const info = await (await client()).call('project/init', { root: dir });
    print(`initialized ${info.storeDir}\n${fmt.projectBlock(info)}`, info);
    return CLI_EXIT.ok;
  },
};
