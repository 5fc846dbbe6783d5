import type { CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

export const status: CommandDef = {
  name: 'status',
  summary: "the project's counts, store size and watcher",
  json: true,
  project: true,
  async run({ project, client, print }) {
    const { root } = project();
    const info = await (await client()).call('project/status', { root });
    print(fmt.projectBlock(info), info);
    return CLI_EXIT.ok;
  },
};
