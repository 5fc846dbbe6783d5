import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Locator } from 'playwright-core';
import type { VersionInfo } from '../../shared/src/domain';
import type { RunSummary } from '../../shared/src/runs';
import { runOutcome } from '../../extension/src/presentation/runs';
import { mlsnap, mlsnapJson } from '../support/cli';
import { tempDir, waitFor } from '../support/tmp';
import { CodeServer, REPO, SEL, Workbench } from '../support/vscode';

/**
 * Runs in a real VS Code: the demo notebook, executed twice for real by Debian's nbconvert
 * (HIDDEN = 32, then 64), is two runs of train.ipynb. The packaged .vsix in code-server shows
 * them in the Runs view with what changed; the Runs table (a webview under a strict CSP) has
 * a HIDDEN column with 32 and 64, the changed cell highlighted, sorts and filters, compares the
 * two, charts a metric and the per-epoch loss curve with Vega (SVG) and exports one; a model's
 * trend says how it moved. A third, worse execution (HIDDEN = 1, EPOCHS = 1) raises the
 * regression warning, whose "Compare Runs" opens the comparison. Each step saves a PNG under
 * test-output/extension-runs/.
 */
const SHOTS = path.join(REPO, 'test-output', 'extension-runs');
const home = tempDir('runsx-home');
const workspace = tempDir('runsx-ws');
const opts = { cwd: workspace, home };
const NOTEBOOK = path.join(workspace, 'train.ipynb');
let server: CodeServer;
let wb: Workbench;

function execute(): void {
  execFileSync('/usr/bin/python3', ['-m', 'nbconvert', '--to', 'notebook', '--execute', '--inplace', 'train.ipynb'], {
    cwd: workspace,
    stdio: 'pipe',
    timeout: 180_000,
    env: { ...process.env, MPLBACKEND: 'Agg' },
  });
}

/** Change the parameters cell's assignments (`HIDDEN = 32` → `HIDDEN = 64`). */
function setParams(values: Record<string, number>): void {
  let source = fs.readFileSync(NOTEBOOK, 'utf8');
  for (const [name, value] of Object.entries(values)) {
    const re = new RegExp(`"${name} = \\d+\\\\n"`);
    assert.match(source, re, `the parameters cell assigns ${name}`);
    source = source.replace(re, `"${name} = ${value}\\n"`);
  }
  fs.writeFileSync(NOTEBOOK, source);
}

function runsOf(source: string): RunSummary[] {
  return mlsnapJson<RunSummary[]>(['runs', 'list'], opts).filter((r) => r.source === source);
}

/** Runs of train.ipynb that have their metrics (metrics.json is written at the end of the notebook). */
function finishedRuns(): RunSummary[] {
  return runsOf('train.ipynb').filter((r) => r.metrics.some((m) => m.name === 'mlp_accuracy'));
}

function param(r: RunSummary, name: string): unknown {
  return r.params.find((p) => p.name === name)?.value;
}

before(async () => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.cpSync(path.join(REPO, 'examples', 'demo'), workspace, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: workspace });
  assert.equal(mlsnap(['init'], opts).status, 0);
  await waitFor('the first version of train.ipynb', () => versionsOf('train.ipynb').length >= 1 || null, 30_000);
  const probe = mlsnap(['runs', 'list', '--json'], opts);
  assert.equal(probe.status, 0, `\`mlsnap runs --json\` is not available yet: ${probe.stderr}`);

  execute();
  await waitFor('the first run with its metrics', () => finishedRuns().length >= 1 || null, 60_000);
  setParams({ HIDDEN: 64 });
  execute();
  const two = await waitFor(
    'two runs of train.ipynb, HIDDEN 32 and 64, with their metrics',
    () => {
      const runs = finishedRuns();
      return runs.length >= 2 && param(runs[0] as RunSummary, 'HIDDEN') === 64 ? runs : null;
    },
    60_000,
  );
  assert.equal(two.length, 2);
  assert.equal(param(two[1] as RunSummary, 'HIDDEN'), 32);

  const vsix = path.join(tempDir('runsx-vsix'), 'mlsnap.vsix');
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'package.mjs'), vsix], { cwd: REPO, stdio: 'pipe' });
  const dir = tempDir('runsx-cs');
  server = await CodeServer.start({
    workspace,
    extensionsDir: path.join(dir, 'extensions'),
    userDataDir: path.join(dir, 'user-data'),
    vsix,
    env: { MLSNAP_HOME: home },
  });
  wb = await Workbench.open(server, SHOTS, { viewport: { width: 1600, height: 1000 } });
});

after(async () => {
  await wb?.close();
  await server?.stop();
  mlsnap(['daemon', 'stop'], opts);
});

function versionsOf(rel: string): VersionInfo[] {
  return mlsnapJson<VersionInfo[]>(['log', rel], opts);
}

/**
 * The Runs table's document: VS Code nests each webview in two iframes, and other webviews
 * (a diff panel) may be open too, so find the frame that holds the table.
 */
async function tableFrame(timeoutMs = 30_000): Promise<Frame> {
  return waitFor(
    'the Runs table webview',
    async () => {
      for (const f of wb.page.frames()) {
        if (f.isDetached()) continue;
        if (
          (await f
            .locator('table#runs')
            .count()
            .catch(() => 0)) > 0
        )
          return f;
      }
      return null;
    },
    timeoutMs,
  );
}

async function columnTexts(f: Frame, column: string): Promise<string[]> {
  return (await f.locator(`#runs tbody td[data-column="${column}"]`).allInnerTexts()).map((s) => s.trim());
}

/** Errors the page saw that mean the CSP blocked something (an eval, a script without the nonce). */
function cspViolations(): string[] {
  return wb.consoleErrors.filter((e) =>
    /Content Security Policy|unsafe-eval|Refused to (evaluate|execute|load)/i.test(e),
  );
}

function runsView(): Locator {
  return wb.view('Runs');
}

test('the Runs view lists the two runs of train.ipynb with the HIDDEN each ran with', async () => {
  await wb.openActivityBarView('mlsnap');
  await wb.expandView('Runs');
  await wb.treeItem('train.ipynb', 'Runs').waitFor({ state: 'visible', timeout: 60_000 });
  const second = wb.treeItem('HIDDEN=64', 'Runs');
  const first = wb.treeItem('HIDDEN=32 EPOCHS=5 SEED=0', 'Runs');
  await second.waitFor({ state: 'visible', timeout: 30_000 });
  await first.waitFor({ state: 'visible' });
  const source = await wb.treeItem('train.ipynb', 'Runs').innerText();
  assert.match(source, /2 runs/);
  // The headline metric: the first with a direction, its change since the run before.
  assert.match(await second.innerText(), /accuracy \d\.\d+.* · r[0-9a-f]{8}/);
  await wb.screenshot('01-runs-view');
});

test('the Runs table: a row a run, HIDDEN 64 over 32 with the changed cell highlighted; it sorts and filters', async () => {
  await wb.runCommand('mlsnap: Open Runs Table');
  const f = await tableFrame();
  await waitFor('two rows', async () => (await f.locator('#runs tbody tr').count()) === 2 || null, 30_000);
  await f.locator('#runs th[data-column="param:HIDDEN"]').waitFor({ state: 'visible' });
  assert.deepEqual(await columnTexts(f, 'param:HIDDEN'), ['64', '32'], 'newest first');
  const cells = f.locator('#runs tbody td[data-column="param:HIDDEN"]');
  assert.equal(await cells.nth(0).getAttribute('data-changed'), 'true', '64 changed since the run before');
  assert.equal(await cells.nth(1).getAttribute('data-changed'), null, 'the first run has nothing to change from');
  assert.match((await cells.nth(0).getAttribute('class')) ?? '', /\bchanged\b/);
  const highlighted = await cells.nth(0).evaluate((e) => getComputedStyle(e).backgroundColor);
  const plain = await cells.nth(1).evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.notEqual(highlighted, plain, 'the changed cell has a background of its own');
  assert.equal(await columnTexts(f, 'param:EPOCHS').then((t) => t.length), 2);
  assert.ok(await f.locator('#runs th[data-column="metric:mlp_accuracy"]').isVisible(), 'a column per final metric');
  await wb.screenshot('02-runs-table');

  await f.locator('#runs th[data-column="param:HIDDEN"]').click();
  assert.deepEqual(await columnTexts(f, 'param:HIDDEN'), ['32', '64'], 'ascending');
  await f.locator('#runs th[data-column="param:HIDDEN"]').click();
  assert.deepEqual(await columnTexts(f, 'param:HIDDEN'), ['64', '32'], 'descending');
  await f.locator('#filter').fill('HIDDEN=32');
  assert.deepEqual(await columnTexts(f, 'param:HIDDEN'), ['32']);
  await f.locator('#filter').fill('mlp_accuracy>0');
  assert.equal((await columnTexts(f, 'param:HIDDEN')).length, 2);
  await f.locator('#filter').fill('mlp_accuracy>1');
  assert.equal((await columnTexts(f, 'param:HIDDEN')).length, 0);
  await f.locator('#filter').fill('');
  assert.equal((await columnTexts(f, 'param:HIDDEN')).length, 2);
});

test('two selected runs compare: HIDDEN 32 → 64, metric deltas, and a changed output opens its diff', async () => {
  const f = await tableFrame();
  const boxes = f.locator('#runs tbody input[type=checkbox]');
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await f.locator('#compare:not([disabled])').click();
  const section = f.locator('#comparison');
  await section.locator('h2').waitFor({ state: 'visible', timeout: 30_000 });
  const hidden = section.locator('tr').filter({ has: f.locator('td', { hasText: /^HIDDEN$/ }) });
  await hidden.waitFor({ state: 'visible' });
  assert.match((await hidden.innerText()).replace(/\s+/g, ' '), /HIDDEN 32 → 64/);
  assert.match(await section.innerText(), /1 parameter changed/);
  assert.match(await section.innerText(), /mlp_accuracy/);
  await wb.screenshot('03-compare');

  const diff = section.locator('tr').filter({ has: f.locator('button', { hasText: 'Open Diff' }) });
  await diff.first().waitFor({ state: 'visible' });
  // Prefer the model's diff; a run's outputs always include metrics.json.
  const modelRow = diff.filter({ hasText: 'models/mlp.pt' });
  const row = (await modelRow.count()) > 0 ? modelRow.first() : diff.first();
  const file = (await row.locator('td').first().innerText()).trim();
  await row.locator('button', { hasText: 'Open Diff' }).click();
  const tab = wb.page.locator(SEL.editorTab).filter({ hasText: `${file}@` });
  await tab.first().waitFor({ state: 'visible', timeout: 30_000 });
  await new Promise((r) => setTimeout(r, 1000));
  await wb.screenshot('04-output-diff');
  await wb.page
    .locator(SEL.editorTab)
    .filter({ hasText: /^\s*Runs · / })
    .first()
    .click();
});

test('a chart of a metric and its training curve render as SVG under the CSP, and export', async () => {
  const f = await tableFrame();
  const options = await f.locator('#metric option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  // metrics.json's test_loss_history is a list: one value per epoch, a training curve.
  const curve = options.includes('test_loss_history');
  const metric = curve ? 'test_loss_history' : 'mlp_accuracy';
  assert.ok(options.includes('mlp_accuracy'), `the metrics: ${options.join(', ')}`);
  await f.locator('#metric').selectOption(metric);
  await f.locator('#chart').click();
  const finals = f.locator(`.chart[data-chart="${metric}-across-runs"][data-rendered="true"] svg.marks`);
  await finals.waitFor({ state: 'visible', timeout: 60_000 });
  if (curve) {
    const lines = f.locator(`.chart[data-chart="${metric}-training-curve"][data-rendered="true"] svg.marks`);
    await lines.waitFor({ state: 'visible', timeout: 30_000 });
    // One line a run: two runs, two paths in the line mark's group.
    const paths = await lines.locator('g.mark-line path').count();
    assert.equal(paths, 2, 'a training curve per selected run');
  }
  await f.locator('#charts .chart').last().scrollIntoViewIfNeeded();
  await new Promise((r) => setTimeout(r, 500));
  await wb.screenshot('05-charts');
  assert.deepEqual(cspViolations(), [], 'nothing was refused by the CSP');

  // Save SVG: the simple save dialog proposes the chart's name in the project.
  await wb.clearNotifications();
  const target = path.join(workspace, `${metric}-across-runs.svg`);
  await f.locator(`.chart[data-chart="${metric}-across-runs"] button`, { hasText: 'Save SVG' }).click();
  const box = wb.page.locator(SEL.quickInputBox);
  await box.waitFor({ state: 'visible', timeout: 20_000 });
  await waitFor('the proposed file', async () => (await box.inputValue()) === target, 20_000);
  await wb.screenshot('06-save-dialog');
  await wb.quickInput.locator('.quick-input-action a.monaco-button', { hasText: /^(Save Chart|OK)$/ }).click();
  await wb.waitForNotification(`saved the chart to ${target}`, 30_000);
  const svg = fs.readFileSync(target, 'utf8');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, new RegExp(`${metric} across runs`));
});

test("Trend: the model's metric over its versions", async () => {
  const f = await tableFrame();
  await f.locator('#metric').selectOption('mlp_accuracy');
  await f.locator('#trendPath').selectOption('models/mlp.pt');
  await f.locator('#trend').click();
  const chart = f.locator('.chart[data-chart="mlp_accuracy-of-models/mlp.pt"]');
  await chart.locator('svg.marks').waitFor({ state: 'visible', timeout: 30_000 });
  const caption = (await chart.locator('.caption').innerText()).trim();
  assert.match(caption, /^mlp_accuracy of models\/mlp\.pt over 2 versions: \S+ \(@1\) → \S+ \(@2\), /);
  await chart.scrollIntoViewIfNeeded();
  await wb.screenshot('07-trend');
});

test('a worse third run warns which metric fell and by how much; Compare Runs shows the two', async () => {
  await wb.clearNotifications();
  const previous = finishedRuns()[0] as RunSummary;
  setParams({ HIDDEN: 1, EPOCHS: 1 });
  execute();
  const toast = await wb.waitForNotification(
    /mlsnap: train\.ipynb: \w+ (fell|rose) \d+\.\d% \(\S+ → \S+\).* in run r[0-9a-f]{8}/,
    120_000,
  );
  const text = (await toast.locator(SEL.notificationMessage).innerText()).trim();
  const third = finishedRuns()[0] as RunSummary;
  assert.notEqual(third.id, previous.id);
  assert.ok(text.includes(third.id.slice(0, 9)), `${text} names the new run`);
  const button = toast.locator('a.monaco-button', { hasText: /^Compare Runs$/ });
  await button.waitFor({ state: 'visible' });
  await wb.screenshot('08-regression-warning');
  // Only one warning for the run, however often the daemon announces it.
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal((await wb.notifications()).filter((n) => n.includes(third.id.slice(0, 9))).length, 1);

  await wb.clickToastButton(toast, /^Compare Runs$/);
  const f = await tableFrame();
  const section = f.locator('#comparison');
  await waitFor(
    'the comparison of the last two runs',
    async () =>
      (await section.innerText().catch(() => '')).includes(`${previous.id.slice(0, 9)} → ${third.id.slice(0, 9)}`) ||
      null,
    30_000,
  );
  const hidden = section.locator('tr').filter({ has: f.locator('td', { hasText: /^HIDDEN$/ }) });
  assert.match((await hidden.innerText()).replace(/\s+/g, ' '), /HIDDEN 64 → 1/);
  assert.ok((await section.locator('.verdict-worse').count()) > 0, 'a metric marked worse');
  await new Promise((r) => setTimeout(r, 500));
  await wb.screenshot('09-regression-compare');
  // The Runs view's row: what changed, and its headline metric (red when it got worse).
  const row = runsView().locator(SEL.listRow).filter({ hasText: 'HIDDEN=1 EPOCHS=1' }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  const outcome = runOutcome(third, previous, 5);
  const h = outcome.headline;
  assert.ok(h, 'the run has a headline metric');
  const rowText = await row.innerText();
  assert.ok(rowText.includes(h.metric.name), `the row shows ${h.metric.name}`);
  // When the headline metric did not fall, the row names one that did.
  if (h.verdict !== 'worse' && outcome.regression)
    assert.ok(rowText.includes(`⚠ ${outcome.regression.metric}`), rowText);
  const icon =
    outcome.verdict === 'worse' ? 'arrow-circle-down' : outcome.verdict === 'better' ? 'arrow-circle-up' : 'beaker';
  assert.equal(await row.locator(`.codicon-${icon}`).count(), 1, `${h.text}: the ${icon} icon`);
});

test('with the daemon stopped, Open Runs Table says so and offers to start it', async () => {
  await wb.clearNotifications();
  assert.equal(mlsnap(['daemon', 'stop'], opts).status, 0);
  await wb.waitForStatusBarItem(/daemon stopped/, 30_000);
  await wb.welcomeButton('Start Daemon', 'Runs').waitFor({ state: 'visible', timeout: 30_000 });
  await wb.runCommand('mlsnap: Open Runs Table');
  const toast = await wb.waitForNotification(/Open Runs Table failed: the mlsnap daemon is not running/, 30_000);
  await toast.locator('a.monaco-button', { hasText: 'Start Daemon' }).waitFor({ state: 'visible' });
  await wb.screenshot('10-daemon-stopped');
});
