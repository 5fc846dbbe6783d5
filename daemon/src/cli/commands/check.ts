import type { CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

export const check: CommandDef = {
  name: 'check',
  summary: "rehash every blob, run SQLite's integrity and foreign key checks; exit 10 on problems",
  json: true,
  project: true,
  async run({ project, client, print }) {
    const { root } = project();
    const r = await (await client()).call('store/check', { root });
    print(fmt.checkBlock(r), r);
    return r.ok ? CLI_EXIT.ok : CLI_EXIT['check-failed'];
  },
};
