import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProjectConfig } from '../../shared/src/domain';
import { Log } from '../../daemon/src/Log';
import { environmentDeps } from '../../daemon/src/main';
import { CONFIG_FILE, Project, STORE_DIR } from '../../daemon/src/project/Project';

/** A real project (real SQLite, real blobs, real watcher, real environment capture). */
export async function openProject(root: string, config: Partial<ProjectConfig> = {}): Promise<Project> {
  Project.init(root);
  const file = path.join(root, STORE_DIR, CONFIG_FILE);
  const current = JSON.parse(fs.readFileSync(file, 'utf8')) as ProjectConfig;
  fs.writeFileSync(file, JSON.stringify({ ...current, settleMs: 150, ...config }, null, 2));
  const log = new Log('test', 'warn');
  const project = Project.open(root, { log, environment: environmentDeps(log) });
  await project.start();
  return project;
}

export function notebookJson(source: string[]): string {
  return JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: source.map((s, i) => ({
        id: `c${i}`,
        cell_type: 'code',
        source: s,
        metadata: {},
        outputs: [],
        execution_count: null,
      })),
    },
    null,
    1,
  );
}
