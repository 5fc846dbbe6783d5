import { diffToText } from '../../../../shared/src/diffFormat';
import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';

interface DiffOptions {
  metadata?: boolean;
  executionCounts?: boolean;
  bytes?: boolean;
}

export const diff: CommandDef<DiffOptions> = {
  name: 'diff',
  summary: 'typed diff of two versions: notebook cells, model tensors, metrics, environment',
  arguments: [
    { name: '<refA>', description: 'the older version' },
    { name: '[refB]', description: 'the newer version (default: compare refA with the version before it)' },
  ],
  options: [
    { flags: '--metadata', description: 'also show notebook and cell metadata changes' },
    { flags: '--execution-counts', description: 'also show cells whose only change is the execution count' },
    { flags: '--bytes', description: 'also compare tensor bytes of models' },
  ],
  json: true,
  project: true,
  async run({ args, opts, project, client, print }) {
    const p = project();
    const before = p.ref(operand(args, 0, 'a <ref>'));
    const after = args[1] === undefined ? undefined : p.ref(args[1]);
    const d = await (
      await client()
    ).call('diff/versions', {
      root: p.root,
      before,
      ...(after === undefined ? {} : { after }),
      showMetadata: opts.metadata === true,
      showExecutionCounts: opts.executionCounts === true,
      compareBytes: opts.bytes === true,
    });
    print(diffToText(d).trimEnd(), d);
    return CLI_EXIT.ok;
  },
};
