import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanContent, scanModelFile, stripOutputs, type Finding } from './SecretGate';
import { shannonEntropy } from './values';

const PYTHON = '/usr/bin/python3';
const MODEL_FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'models');

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlsnap-gate-${prefix}-`));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Secrets are made at run time from a seeded generator: no real-looking credential sits in
// this file for a scanner (mlsnap's own gate included) to trip on, and every run sees the same.
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62 = `${LETTERS}0123456789`;
const BASE64 = `${BASE62}+/`;
const DIGITS = '0123456789';
const HEX = '0123456789abcdef';

function fake(alphabet: string, length: number, seed: number): string {
  let x = (seed * 2654435761) >>> 0 || 1;
  let s = '';
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    s += alphabet[x % alphabet.length];
  }
  return s;
}

function pem(label: string, seed: number): string {
  const body = [0, 1, 2, 3, 4].map((i) => fake(BASE64, 64, seed + i)).join('\n');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
}

const S = {
  awsAccess: `AKIA${fake(UPPER_DIGITS, 16, 1)}`,
  awsSecret: fake(BASE64, 40, 2),
  gcpApi: `AIza${fake(`${BASE62}_-`, 35, 3)}`,
  azureKey: `${fake(BASE64, 86, 4)}==`,
  azureStorageKey: `${fake(BASE64, 86, 5)}==`,
  github: `ghp_${fake(BASE62, 36, 6)}`,
  githubPat: `github_pat_${fake(BASE62, 22, 7)}_${fake(BASE62, 59, 8)}`,
  gitlab: `glpat-${fake(`${BASE62}-_`, 20, 9)}`,
  slack: `xoxb-${fake(DIGITS, 12, 10)}-${fake(DIGITS, 13, 11)}-${fake(BASE62, 24, 12)}`,
  slackHook: `T${fake(UPPER_DIGITS, 8, 13)}/B${fake(UPPER_DIGITS, 10, 14)}/${fake(BASE62, 24, 15)}`,
  hf: `hf_${fake(LETTERS, 34, 16)}`,
  openai: `sk-proj-${fake(`${BASE62}_-`, 120, 17)}`,
  openaiLegacy: `sk-${fake(BASE62, 48, 18)}`,
  rsa: pem('RSA PRIVATE KEY', 19),
  password: fake(`${BASE62}!@#%`, 24, 30),
  wandb: fake(HEX, 40, 31),
};

function serviceAccountJson(withKey: boolean): string {
  const sa: Record<string, string> = {
    type: 'service_account',
    project_id: 'ml-team-prod',
    client_email: 'trainer@ml-team-prod.iam.gserviceaccount.com',
  };
  if (withKey) {
    sa['private_key_id'] = fake(HEX, 40, 40);
    sa['private_key'] = `${pem('PRIVATE KEY', 41)}\n`;
  }
  return JSON.stringify(sa, null, 2);
}

const SA_KEY = `${pem('PRIVATE KEY', 41)}\n`;

interface RuleCase {
  rule: string;
  /** Text that holds `secret`, found by `rule` only. */
  positive: string;
  secret: string;
  /** Near misses: no finding at all. */
  negatives: string[];
  /** Line of the finding in `# setup\n${positive}` (default 2). */
  line?: number;
}

const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const CASES: RuleCase[] = [
  {
    rule: 'aws-access-key',
    positive: `session = boto3.Session(aws_access_key_id="${S.awsAccess}")`,
    secret: S.awsAccess,
    negatives: [
      `key_id = "AKIA${fake(UPPER_DIGITS, 15, 1)}"`,
      `key_id = "akia${fake(UPPER_DIGITS, 16, 1).toLowerCase()}"`,
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
    ],
  },
  {
    rule: 'aws-secret-key',
    positive: `AWS_SECRET_ACCESS_KEY="${S.awsSecret}"`,
    secret: S.awsSecret,
    negatives: [
      'aws_secret_access_key = os.environ["AWS_SECRET_ACCESS_KEY"]',
      `model_sha = "${fake(HEX, 40, 2)}"`,
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ],
  },
  {
    rule: 'gcp-service-account',
    positive: serviceAccountJson(true),
    secret: JSON.stringify(SA_KEY).slice(1, -1),
    negatives: [serviceAccountJson(false)],
    line: 7,
  },
  {
    rule: 'gcp-api-key',
    positive: `maps = googlemaps.Client(key="${S.gcpApi}")`,
    secret: S.gcpApi,
    negatives: [`maps = googlemaps.Client(key="AIza${fake(BASE62, 30, 3)}")`],
  },
  {
    rule: 'azure-connection-string',
    positive: `conn = "DefaultEndpointsProtocol=https;AccountName=mlteam;AccountKey=${S.azureKey};EndpointSuffix=core.windows.net"`,
    secret: S.azureKey,
    negatives: [
      'conn = "UseDevelopmentStorage=true"',
      `conn = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1"`,
    ],
  },
  {
    rule: 'azure-storage-key',
    positive: `AZURE_STORAGE_ACCOUNT_KEY: ${S.azureStorageKey}`,
    secret: S.azureStorageKey,
    negatives: [`checksum: ${S.azureStorageKey}`],
  },
  {
    rule: 'github-token',
    positive: `!git clone https://${S.github}@github.com/team/private-data.git`,
    secret: S.github,
    negatives: [`branch = "ghp_${fake(BASE62, 20, 6)}"`, 'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
  },
  {
    rule: 'gitlab-token',
    positive: `headers = {"PRIVATE-TOKEN": "${S.gitlab}"}`,
    secret: S.gitlab,
    negatives: ['headers = {"PRIVATE-TOKEN": "glpat-short123"}'],
  },
  {
    rule: 'slack-token',
    positive: `client = WebClient(token='${S.slack}')`,
    secret: S.slack,
    negatives: ["client = WebClient(token='xoxb-your-bot-token')"],
  },
  {
    rule: 'slack-token',
    positive: `requests.post("https://hooks.slack.com/services/${S.slackHook}", json=msg)`,
    secret: S.slackHook,
    negatives: ['requests.post("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX")'],
  },
  {
    rule: 'huggingface-token',
    positive: `login("${S.hf}")`,
    secret: S.hf,
    negatives: [
      `login("hf_${fake(LETTERS, 20, 16)}")`,
      'path = hf_hub_download(repo_id="gpt2", filename="config.json")',
    ],
  },
  {
    rule: 'openai-key',
    positive: `client = OpenAI(api_key="${S.openai}")`,
    secret: S.openai,
    negatives: [
      'pip install sk-learn-compatible-estimator-wrapper-helpers',
      `client = Anthropic(auth="sk-ant-api03-${fake(BASE62, 40, 17)}")`,
    ],
  },
  {
    rule: 'openai-key',
    positive: `OPENAI_KEY=${S.openaiLegacy}`,
    secret: S.openaiLegacy,
    negatives: [`model = "sk-${'abcdefgh'.repeat(5)}"`],
  },
  {
    rule: 'private-key',
    positive: `key_pem = """${S.rsa}\n"""`,
    secret: S.rsa,
    negatives: [pem('PUBLIC KEY', 19), '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----'],
  },
  {
    rule: 'high-entropy-assignment',
    positive: `db_password = "${S.password}"`,
    secret: S.password,
    negatives: [
      'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased-whole-word-masking")',
      'token = os.environ["HF_TOKEN"]',
      'api_key = "<your-api-key-goes-here>"',
      'password = "changeme-changeme-changeme"',
      'secret_name = "prod-db-credentials-secret"',
      'password = "aaaaaaaaaaaaaaaaaaaaaaaa"',
      'token_env = "HUGGINGFACE_HUB_TOKEN"',
      'max_new_tokens = 1234567890123456',
    ],
  },
  {
    rule: 'high-entropy-assignment',
    positive: `WANDB_API_KEY=${S.wandb}`,
    secret: S.wandb,
    negatives: ['WANDB_API_KEY=${WANDB_API_KEY_FROM_VAULT}', 'api_key = os.getenv("WANDB_API_KEY")'],
  },
];

function assertRedacted(findings: Finding[], secrets: string[]): void {
  for (const f of findings) {
    for (const s of secrets) assert.ok(!f.excerpt.includes(s), `excerpt shows the secret: ${f.excerpt}`);
    // Not even a piece of it (the middle: PEM blocks start and end with public markers).
    for (const s of secrets) {
      const middle = s.slice(s.length / 2 - 6, s.length / 2 + 6);
      assert.ok(!f.excerpt.includes(middle), `excerpt shows part of the secret: ${f.excerpt}`);
    }
    assert.match(f.id, /^[a-z-]+-[0-9a-f]{12}$/);
    assert.ok(f.message.includes(f.id), f.message);
  }
}

for (const [i, c] of CASES.entries()) {
  test(`${c.rule} (#${i}): found with line, redacted excerpt and id; near misses are not`, () => {
    const text = `# setup\n${c.positive}\nprint("ok")\n`;
    const found = scanContent('src/setup.py', 'other', Buffer.from(text));
    assert.deepEqual(
      found.map((f) => f.rule),
      [c.rule],
      JSON.stringify(found, null, 1),
    );
    const f = found[0] as Finding;
    assert.equal(f.where, 'text');
    assert.equal(f.line, c.line ?? 2);
    assert.equal(f.cell, undefined);
    assert.equal(f.path, 'src/setup.py');
    assert.match(f.excerpt, /…\(\d+ chars\)/);
    assert.ok(f.excerpt.includes(`(${c.secret.length} chars)`), `${f.excerpt} gives the secret's length`);
    assertRedacted(found, [c.secret]);
    for (const near of c.negatives) {
      const miss = scanContent('src/setup.py', 'other', Buffer.from(`# setup\n${near}\n`));
      assert.deepEqual(miss, [], `near miss reported: ${near}\n${JSON.stringify(miss, null, 1)}`);
    }
  });
}

test('request headers: a bearer token under Authorization is found', () => {
  const found = scanContent('api.py', 'other', Buffer.from(`headers = {"Authorization": "Bearer ${S.password}"}`));
  assert.deepEqual(
    found.map((f) => f.rule),
    ['high-entropy-assignment'],
  );
  assertRedacted(found, [S.password]);
  const template = 'headers = {"Authorization": f"Bearer {token}"}';
  assert.deepEqual(scanContent('api.py', 'other', Buffer.from(template)), []);
});

test('a secret matched by two rules is reported once, by the specific rule', () => {
  const cases: [string, string][] = [
    [`HF_TOKEN = "${S.hf}"`, 'huggingface-token'],
    [`aws_secret_access_key: ${S.awsSecret}`, 'aws-secret-key'],
    [`AccountName=x;AccountKey=${S.azureKey};EndpointSuffix=core.windows.net`, 'azure-connection-string'],
    [`github_token = "${S.github}"`, 'github-token'],
    [`openai_api_key = '${S.openai}'`, 'openai-key'],
  ];
  for (const [text, rule] of cases) {
    const found = scanContent('a.env', 'other', Buffer.from(text));
    assert.deepEqual(
      found.map((f) => f.rule),
      [rule],
      text,
    );
  }
  const sa = scanContent('creds/sa.json', 'metrics', Buffer.from(serviceAccountJson(true)));
  assert.deepEqual(
    sa.map((f) => f.rule),
    ['gcp-service-account'],
    'the key inside a service account is one finding, not also a private-key one',
  );
  assert.match(sa[0]?.excerpt ?? '', /-----BEGIN PRIVATE KEY-----…\(\d+ chars\)/);
});

test('two secrets on one line: each excerpt hides both', () => {
  const text = `creds = {"id": "${S.awsAccess}", "aws_secret_access_key": "${S.awsSecret}"}`;
  const found = scanContent('x.py', 'other', Buffer.from(text));
  assert.deepEqual(found.map((f) => f.rule).sort(), ['aws-access-key', 'aws-secret-key']);
  assertRedacted(found, [S.awsAccess, S.awsSecret]);
});

// ---------------------------------------------------------------------------------------------
// Notebooks

interface Cell {
  cell_type: string;
  source: string[];
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  attachments?: Record<string, unknown>;
}

function code(source: string, outputs: unknown[] = [], count = 1): Cell {
  return { cell_type: 'code', source: lines(source), metadata: {}, outputs, execution_count: count };
}

function lines(s: string): string[] {
  return s.split(/(?<=\n)/);
}

function notebook(cells: Cell[], metadata: Record<string, unknown> = {}): Buffer {
  const nb = {
    cells: cells.map((c, i) => ({ id: `cell-${i}`, ...c })),
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, ...metadata },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return Buffer.from(`${JSON.stringify(nb, null, 1)}\n`);
}

const stream = (text: string): unknown => ({ output_type: 'stream', name: 'stdout', text: lines(text) });

test('a key only in a stream output (JSON-escaped in the file) is found in the right cell, where=output', () => {
  const printed = `loaded config\nAWS_SECRET_ACCESS_KEY="${S.awsSecret}"\ndone\n`;
  const bytes = notebook([
    { cell_type: 'markdown', source: ['# Training\n'], metadata: {} },
    code('import pandas as pd\n'),
    code('!cat ~/.aws/credentials.env\n', [stream(printed)], 2),
  ]);
  // The file itself has the quotes escaped: a raw-text scan misses the key.
  assert.ok(bytes.toString().includes(`AWS_SECRET_ACCESS_KEY=\\"${S.awsSecret}\\"`));
  assert.deepEqual(scanContent('train.ipynb', 'other', bytes), []);
  const found = scanContent('train.ipynb', 'notebook', bytes);
  assert.equal(found.length, 1, JSON.stringify(found, null, 1));
  const f = found[0] as Finding;
  assert.equal(f.rule, 'aws-secret-key');
  assert.equal(f.cell, 3);
  assert.equal(f.where, 'output');
  assert.equal(f.line, 2);
  assert.match(f.message, /cell 3's output/);
  assertRedacted(found, [S.awsSecret]);
});

test('sources, execute results, errors (ANSI traceback) and metadata are each scanned, with cell numbers', () => {
  const traceback = [
    '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m',
    `\u001b[0;31mHTTPError\u001b[0m: 401 for url https://api.example.org/?key=\u001b[1;32m${S.gcpApi}\u001b[0m`,
  ];
  const bytes = notebook(
    [
      code(`import os\nos.environ["HF_TOKEN"] = "${S.hf}"\n`),
      code('client.fetch()\n', [{ output_type: 'error', ename: 'HTTPError', evalue: '401 Unauthorized', traceback }]),
      code('creds\n', [
        {
          output_type: 'execute_result',
          execution_count: 3,
          metadata: {},
          data: {
            'text/plain': [`{'token': '${S.github}'}`],
            'text/html': [`<pre>{'token': '${S.github}'}</pre>`],
          },
        },
      ]),
      { ...code('x = 1\n'), metadata: { tags: ['setup'], wandb: { api_key: S.wandb } } },
      code('df.head()\n', [
        {
          output_type: 'display_data',
          metadata: {},
          data: { 'application/json': { service: 'slack', bot: S.slack } },
        },
      ]),
    ],
    { deploy: { openai: S.openai } },
  );
  const found = scanContent('nb/explore.ipynb', 'notebook', bytes);
  const summary = found.map((f) => [f.rule, f.cell ?? null, f.where, f.line]);
  assert.deepEqual(summary, [
    ['huggingface-token', 1, 'source', 2],
    ['gcp-api-key', 2, 'output', 2],
    ['github-token', 3, 'output', 1],
    ['high-entropy-assignment', 4, 'metadata', 2],
    ['slack-token', 5, 'output', 1],
    ['openai-key', null, 'metadata', 4],
  ]);
  assert.match(found.at(-1)?.message ?? '', /the notebook's metadata/);
  assertRedacted(found, [S.hf, S.gcpApi, S.github, S.wandb, S.slack, S.openai]);
});

test('an image/png output whose base64 looks like a key is not reported; the same text in text/plain is', () => {
  // Base64 only, with the key between '/' so that a text scan would match it.
  const lookalike = `iVBORw0KGgoAAAANSUhEUg/${S.awsAccess}/${fake(BASE64, 80, 77)}`;
  const image = {
    output_type: 'display_data',
    metadata: {},
    data: { 'image/png': `${lookalike}\n`, 'text/plain': ['<Figure size 640x480 with 1 Axes>'] },
  };
  const html = {
    output_type: 'display_data',
    metadata: {},
    data: { 'text/html': [`<img src="data:image/png;base64,${lookalike}">`] },
  };
  const clean = notebook([code('plt.plot(x)\n', [image, html])]);
  assert.deepEqual(scanContent('plot.ipynb', 'notebook', clean), []);
  const printed = notebook([code('print(k)\n', [stream(`${lookalike}\n`)])]);
  assert.equal(scanContent('plot.ipynb', 'notebook', printed)[0]?.rule, 'aws-access-key');
});

test('stripOutputs removes the key, keeps sources/metadata/attachments, and still parses as a notebook', () => {
  const attachment = {
    'image.png': {
      'image/png': 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkAAIAAAoAAv/lxKUAAAAASUVORK5CYII=',
    },
  };
  const original = notebook(
    [
      { cell_type: 'markdown', source: ['![plot](attachment:image.png)\n'], metadata: {}, attachments: attachment },
      code('import os\n', [stream(`${S.hf}\n`)], 7),
      { ...code('train()\n', [stream('epoch 1 loss 0.3\n')], 8), metadata: { tags: ['train'] } },
      { cell_type: 'raw', source: ['raw text\n'], metadata: {} },
    ],
    { mlsnap: { note: 'kept' } },
  );
  assert.equal(scanContent('t.ipynb', 'notebook', original).length, 1);
  const stripped = stripOutputs(original);
  assert.ok(!stripped.toString().includes(S.hf));
  assert.deepEqual(scanContent('t.ipynb', 'notebook', stripped), []);
  assert.ok(stripped.toString().endsWith('}\n'));
  const before = JSON.parse(original.toString()) as { cells: Cell[]; metadata: unknown };
  const after = JSON.parse(stripped.toString()) as { cells: Cell[]; metadata: unknown; nbformat: number };
  assert.equal(after.nbformat, 4);
  assert.deepEqual(
    after.cells.map((c) => c.source),
    before.cells.map((c) => c.source),
  );
  assert.deepEqual(after.metadata, before.metadata);
  assert.deepEqual(after.cells[0]?.attachments, attachment);
  assert.deepEqual(after.cells[2]?.metadata, { tags: ['train'] });
  for (const c of after.cells.filter((x) => x.cell_type === 'code')) {
    assert.deepEqual(c.outputs, []);
    assert.equal(c.execution_count, null);
  }
  assert.equal('outputs' in (after.cells[3] ?? {}), false, 'non-code cells get no outputs key');
  // Written as nbformat writes: indent 1, so stripping a stripped notebook changes nothing.
  assert.equal(stripOutputs(stripped).toString(), stripped.toString());
  assert.equal(stripped.toString(), `${JSON.stringify(after, null, 1)}\n`);
});

test('stripOutputs refuses bytes that are not a notebook, saying why', () => {
  assert.throws(() => stripOutputs(Buffer.from('{"cells": [')), /cannot strip outputs: not valid JSON/);
  assert.throws(() => stripOutputs(Buffer.from('[1, 2]')), /not a Jupyter notebook/);
  assert.throws(() => stripOutputs(Buffer.from('{"metrics": {"loss": 0.1}}')), /no "cells" or "worksheets"/);
});

test('ids are stable across scans, differ for different secrets and different files', () => {
  const one = notebook([code(`token = "${S.github}"\n`), code(`print("${S.hf}")\n`)]);
  const a = scanContent('nb.ipynb', 'notebook', one);
  const b = scanContent('nb.ipynb', 'notebook', Buffer.from(one));
  assert.equal(a.length, 2);
  assert.deepEqual(
    a.map((f) => f.id),
    b.map((f) => f.id),
  );
  assert.notEqual(a[0]?.id, a[1]?.id);
  assert.match(a[0]?.id ?? '', /^github-token-[0-9a-f]{12}$/);
  // Moving the secret to another cell keeps its id; another file gives another id.
  const moved = scanContent('nb.ipynb', 'notebook', notebook([code('x = 1\n'), code(`token = "${S.github}"\n`)]));
  assert.equal(moved[0]?.id, a[0]?.id);
  assert.equal(moved[0]?.cell, 2);
  const other = scanContent('other.ipynb', 'notebook', one);
  assert.notEqual(other[0]?.id, a[0]?.id);
  const otherToken = scanContent('nb.ipynb', 'notebook', notebook([code(`token = "ghp_${fake(BASE62, 36, 99)}"\n`)]));
  assert.notEqual(otherToken[0]?.id, a[0]?.id);
  assertRedacted([...a, ...moved, ...other, ...otherToken], [S.github, S.hf]);
});

test('nbformat 3 notebooks (worksheets, pyout) are scanned and stripped too', () => {
  const v3 = {
    metadata: { name: 'old' },
    nbformat: 3,
    nbformat_minor: 0,
    worksheets: [
      {
        cells: [
          { cell_type: 'heading', level: 1, source: ['Old notebook'], metadata: {} },
          {
            cell_type: 'code',
            input: ['creds()\n'],
            language: 'python',
            metadata: {},
            prompt_number: 4,
            outputs: [{ output_type: 'pyout', prompt_number: 4, text: [`'${S.gitlab}'`], metadata: {} }],
          },
        ],
        metadata: {},
      },
    ],
  };
  const bytes = Buffer.from(JSON.stringify(v3, null, 1));
  const found = scanContent('old.ipynb', 'notebook', bytes);
  assert.deepEqual(
    found.map((f) => [f.rule, f.cell, f.where, f.line]),
    [['gitlab-token', 2, 'output', 1]],
  );
  const stripped = JSON.parse(stripOutputs(bytes).toString()) as typeof v3;
  const cell = stripped.worksheets[0]?.cells[1] as Record<string, unknown>;
  assert.deepEqual(cell['outputs'], []);
  assert.equal('prompt_number' in cell, false);
  assert.deepEqual(cell['input'], ['creds()\n']);
  assert.deepEqual(scanContent('old.ipynb', 'notebook', stripOutputs(bytes)), []);
});

test('malformed notebooks are scanned as text; binary content and models are skipped', () => {
  const truncated = Buffer.from(`{"cells": [{"source": ["key = '${S.awsAccess}'"]`);
  const found = scanContent('broken.ipynb', 'notebook', truncated);
  assert.deepEqual(
    found.map((f) => [f.rule, f.where, f.cell]),
    [['aws-access-key', 'text', undefined]],
  );
  const binary = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00]), Buffer.from(S.awsAccess)]);
  assert.deepEqual(scanContent('x.bin', 'other', binary), []);
  assert.deepEqual(scanContent('m.pkl', 'model', Buffer.from(S.awsAccess)), []);
  assert.deepEqual(scanContent('metrics.json', 'metrics', Buffer.from('{"loss": 0.25, "acc": 0.91}\n')), []);
});

test('a key at the end of a very long line is found, and hostile lines scan in linear time', () => {
  const long = `${'x = 1; '.repeat(150_000)}aws_key = "${S.awsAccess}"`;
  const found = scanContent('long.py', 'other', Buffer.from(`first\n${long}\n`));
  assert.deepEqual(
    found.map((f) => [f.rule, f.line]),
    [['aws-access-key', 2]],
  );
  assert.ok(found[0]?.excerpt.endsWith('aws_key = "AKIA…(20 chars)"'), found[0]?.excerpt);
  // Runs that make naive patterns backtrack: a name-like run, a base64 run, assignment soup.
  const hostile = ['a'.repeat(2_000_000), 'A'.repeat(2_000_000), 'token='.repeat(300_000), 'sk-'.repeat(600_000)];
  const t0 = performance.now();
  for (const h of hostile) scanContent('h.txt', 'other', Buffer.from(h));
  const ms = performance.now() - t0;
  // Generous (loaded CI machines); backtracking on these runs would take minutes.
  assert.ok(ms < 10_000, `hostile lines took ${ms.toFixed(0)} ms`);
  // A text of 100,000 pasted keys is refused without 100,000 findings: 1000 per rule at most.
  const pasted = Array.from({ length: 100_000 }, (_, i) => `AKIA${String(i).padStart(16, 'Q')}`).join('\n');
  const t1 = performance.now();
  assert.equal(scanContent('keys.txt', 'other', Buffer.from(pasted)).length, 1000);
  assert.ok(performance.now() - t1 < 10_000);
});

/**
 * A notebook of about `mb` megabytes: code cells each with a long printed log (about 100 KB) and
 * an image (200 KB of base64): about a third of the bytes are text to scan.
 */
function bigNotebook(mb: number, secretCell: number): Buffer {
  const cells: Cell[] = [];
  const image = fake(BASE64, 200_000, 5);
  const log = Array.from(
    { length: 1500 },
    (_, i) => `epoch ${i} step ${i * 10} loss=0.${i} lr=3e-4 tokens=${i * 512} grad_norm: 1.${i}\n`,
  ).join('');
  let size = 0;
  for (let i = 0; size < mb * 1024 * 1024; i++) {
    const source = `for epoch in range(10):\n    loss = train_step(model, batch, optimizer)\n    print(f"epoch {epoch} loss={loss}")\n`;
    const printed = i + 1 === secretCell ? `${log}api_token = "${S.password}"\n` : log;
    cells.push(
      code(source, [stream(printed), { output_type: 'display_data', metadata: {}, data: { 'image/png': image } }], i),
    );
    size += image.length + printed.length + source.length;
  }
  return notebook(cells);
}

test('a 50 MB notebook scans in well under two seconds', (t) => {
  const bytes = bigNotebook(50, 40);
  const t0 = performance.now();
  const found = scanContent('big.ipynb', 'notebook', bytes);
  const ms = performance.now() - t0;
  t.diagnostic(`${(bytes.length / 1024 / 1024).toFixed(1)} MB notebook scanned in ${ms.toFixed(0)} ms`);
  assert.deepEqual(
    found.map((f) => [f.rule, f.cell, f.where, f.line]),
    [['high-entropy-assignment', 40, 'output', 1501]],
  );
  assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`);
});

test('entropy: 16 distinct characters carry 4 bits each, a repeated one none', () => {
  assert.equal(shannonEntropy('0123456789abcdef'), 4);
  assert.equal(shannonEntropy('aaaaaaaa'), 0);
});

// ---------------------------------------------------------------------------------------------
// Model files

function python(script: string, ...args: string[]): void {
  execFileSync(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

const EVIL_PICKLE = `
import os, pickle, sys
class Evil:
    def __reduce__(self):
        return (os.system, (sys.argv[2],))
with open(sys.argv[1], 'wb') as f:
    f.write(pickle.dumps(Evil(), protocol=int(sys.argv[3])))
`;

const BENIGN_PICKLE = `
import pickle, sys
with open(sys.argv[1], 'wb') as f:
    pickle.dump({'loss': [0.9, 0.5, 0.25], 'epochs': list(range(5)), 'name': 'run-7'}, f)
`;

test('pickles that would run code are flagged once per file, naming the globals; they never run', async () => {
  const dir = tempDir('pickle');
  const marker = path.join(dir, `pwned-${randomBytes(6).toString('hex')}`);
  const evil = path.join(dir, 'evil.pkl');
  const evil0 = path.join(dir, 'evil0.pkl');
  const benign = path.join(dir, 'history.pkl');
  python(EVIL_PICKLE, evil, `touch ${marker}`, '4');
  python(EVIL_PICKLE, evil0, `touch ${marker}`, '0');
  python(BENIGN_PICKLE, benign);
  for (const [file, name] of [
    [evil, 'models/evil.pkl'],
    [evil0, 'models/evil0.pkl'],
  ] as const) {
    const found = await scanModelFile(name, file);
    assert.equal(found.length, 1, JSON.stringify(found));
    const f = found[0] as Finding;
    assert.equal(f.rule, 'pickle-code-execution');
    assert.equal(f.path, name);
    assert.match(f.id, /^pickle-code-execution-[0-9a-f]{12}$/);
    assert.match(f.excerpt, /unsafe globals: posix\.system/);
    assert.match(f.message, /posix\.system/);
    assert.ok(f.message.includes(f.id));
  }
  assert.deepEqual(await scanModelFile('models/history.pkl', benign), []);
  // Same file, same id; the stored blob (no extension) is detected by the real name.
  const blob = path.join(dir, 'blob-0123abcd');
  fs.copyFileSync(evil, blob);
  const [x] = await scanModelFile('models/evil.pkl', evil);
  const [y] = await scanModelFile('models/evil.pkl', blob);
  assert.equal(x?.id, y?.id);
  assert.equal(fs.existsSync(marker), false, 'scanning ran the pickle');
});

test('torch.save archives: an unsafe object inside data.pkl is flagged; a state dict is not', async (t) => {
  const dir = tempDir('torch');
  const marker = path.join(dir, `pwned-${randomBytes(6).toString('hex')}`);
  const evil = path.join(dir, 'evil.pt');
  const clean = path.join(dir, 'clean.pt');
  python(
    `
import os, sys, torch
class Evil:
    def __reduce__(self):
        return (os.system, (sys.argv[3],))
torch.save({'weight': torch.zeros(2, 3), 'hook': Evil()}, sys.argv[1])
torch.save({'weight': torch.zeros(2, 3), 'bias': torch.ones(3)}, sys.argv[2])
`,
    evil,
    clean,
    `touch ${marker}`,
  );
  const found = await scanModelFile('ckpt/evil.pt', evil);
  t.diagnostic(found[0]?.excerpt ?? '(none)');
  assert.deepEqual(
    found.map((f) => f.rule),
    ['pickle-code-execution'],
  );
  assert.match(found[0]?.excerpt ?? '', /posix\.system/);
  assert.deepEqual(await scanModelFile('ckpt/clean.pt', clean), []);
  assert.equal(fs.existsSync(marker), false);
});

test('formats that do not unpickle give no finding; a pickle that does not parse is reported as unverifiable', async () => {
  for (const name of [
    'mlp_h32.safetensors',
    'mlp_h32.onnx',
    'tiny.gguf',
    'tiny.keras',
    'mlp_h32.pt',
    'logreg.joblib',
  ]) {
    assert.deepEqual(await scanModelFile(`models/${name}`, path.join(MODEL_FIXTURES, name)), [], name);
  }
  const dir = tempDir('bad');
  const garbage = path.join(dir, 'garbage.pkl');
  fs.writeFileSync(garbage, Buffer.from([0x80, 0x04, 0x95, 0xff, 0xff]));
  // What cannot be parsed cannot be cleared: a pickle with junk after a call still runs it.
  const [g] = await scanModelFile('models/garbage.pkl', garbage);
  assert.equal(g?.rule, 'pickle-unverifiable');
  const junk = path.join(dir, 'junk.pkl');
  const py = spawnSync('/usr/bin/python3', [
    '-c',
    `import os, pickle\nclass E:\n    def __reduce__(self):\n        return (os.system, ('echo pwned',))\nopen(${JSON.stringify(junk)}, 'wb').write(pickle.dumps(E())[:-1] + b'\\xffjunk')`,
  ]);
  assert.equal(py.status, 0, String(py.stderr));
  const [j] = await scanModelFile('models/junk.pkl', junk);
  assert.equal(j?.rule, 'pickle-unverifiable');
  assert.match(j?.message ?? '', /--allow pickle-unverifiable-[0-9a-f]{12}/);
  // Bytes no loader would unpickle (random weights under a .pt name) are not blocked.
  const noise = path.join(dir, 'noise.pt');
  fs.writeFileSync(noise, Buffer.concat([Buffer.from([0x13, 0x37]), randomBytes(4096)]));
  assert.deepEqual(await scanModelFile('models/noise.pt', noise), []);
  assert.deepEqual(await scanModelFile('models/missing.pkl', path.join(dir, 'missing.pkl')), []);
  // The committed evil fixture is flagged too (its command was never run: the Pickle tests check).
  const [f] = await scanModelFile('models/evil.pkl', path.join(MODEL_FIXTURES, 'evil.pkl'));
  assert.equal(f?.rule, 'pickle-code-execution');
});
