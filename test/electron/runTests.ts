/**
 * The @vscode/test-electron runner, for machines that can download desktop VS Code (these
 * build machines cannot; code-server covers the same ground in test/e2e/extension.test.ts).
 * Run: `npm run test:electron` (builds first). It downloads VS Code stable, opens the demo
 * project with the extension from dist/, and runs ./suite in the extension host.
 */
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const repo = path.resolve(__dirname, '..', '..');
  await runTests({
    extensionDevelopmentPath: repo,
    extensionTestsPath: path.join(repo, 'dist', 'electron-suite.js'),
    launchArgs: [path.join(repo, 'examples', 'demo'), '--disable-extensions'],
    version: process.env['VSCODE_VERSION'] ?? 'stable',
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`test-electron run failed: ${String(e)}\n`);
  process.exit(1);
});
