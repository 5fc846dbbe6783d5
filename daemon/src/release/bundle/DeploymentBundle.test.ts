import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import type { EnvironmentInfo } from '../../../../shared/src/domain';
import { cudaEnv, debianEnv, DEBIAN_FLAGGED } from '../../../../shared/src/environmentExport/environments.testkit';
import { kubernetesQuantity } from '../../../../shared/src/estimateText';
import { BUNDLE_FORMATS, type BundleFormat, type ResourceEstimate } from '../../../../shared/src/release';
import { estimateResources } from '../estimate/ResourceEstimate';
import {
  bundleFiles,
  DEFAULT_MEMORY_BYTES,
  dnsLabel,
  dockerString,
  imageTag,
  labelValue,
  modelFileName,
  type Bundle,
  type BundleInput,
} from './DeploymentBundle';

const VERSION = 'v0123456789abcdef';
const SHA256 = 'a'.repeat(64);
const REMOTE = 's3://team-bucket/mlsnap/data/ab/abcdef0123';

function mlpEstimate(): ResourceEstimate {
  return estimateResources({
    format: 'pytorch',
    size: 10_000,
    facts: {},
    tensors: [
      { name: '0.weight', dtype: 'float32', shape: [32, 64], params: 2048 },
      { name: '0.bias', dtype: 'float32', shape: [32], params: 32 },
    ],
    warnings: [],
  });
}

function input(over: Partial<BundleInput> = {}): BundleInput {
  return {
    format: 'kserve',
    project: 'demo',
    model: {
      path: 'models/mlp.pt',
      versionId: VERSION,
      seq: 3,
      size: 11_015,
      sha256: SHA256,
      blake3: 'b'.repeat(64),
      modelFormat: 'pytorch',
    },
    estimate: mlpEstimate(),
    environment: debianEnv(),
    lockfiles: [],
    remoteUri: null,
    ...over,
  };
}

function file(bundle: Bundle, name: string): string {
  const f = bundle.files.find((x) => x.path === name);
  assert.ok(f, `${name} in ${bundle.files.map((x) => x.path).join(', ')}`);
  return f.content;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Every document of a YAML file, parsed back; a document with errors fails the test. */
function yamlDocs(text: string): Json[] {
  return parseAllDocuments(text).map((d) => {
    assert.deepEqual(d.errors, [], text);
    return d.toJS() as Json;
  });
}

const MANIFEST: Record<BundleFormat, string> = {
  kserve: 'inferenceservice.yaml',
  k8s: 'deployment.yaml',
  docker: 'compose.yaml',
};

test('every format: Dockerfile, its manifest, README.md and mlsnap-bundle.json; model under model/', () => {
  for (const format of BUNDLE_FORMATS) {
    const b = bundleFiles(input({ format }));
    assert.deepEqual(
      b.files.map((f) => f.path),
      ['Dockerfile', MANIFEST[format], 'README.md', 'mlsnap-bundle.json'],
    );
    assert.equal(b.modelFile, 'model/mlp.pt');
    const record = JSON.parse(file(b, 'mlsnap-bundle.json')) as Json;
    assert.equal(record.bundle, format);
    assert.deepEqual(record.model, { ...input().model, file: 'model/mlp.pt' });
    assert.deepEqual(record.estimate, mlpEstimate());
    assert.equal(JSON.stringify(bundleFiles(input({ format }))), JSON.stringify(b), 'deterministic');
    assert.match(file(b, 'README.md'), new RegExp(`docker build -t demo-mlp:${VERSION} \\.`));
  }
});

test('kserve: an InferenceService whose container image, env and resources name the version and estimate', () => {
  const e = mlpEstimate();
  const [isvc, ...rest] = yamlDocs(file(bundleFiles(input()), 'inferenceservice.yaml'));
  assert.equal(rest.length, 0);
  assert.equal(isvc.apiVersion, 'serving.kserve.io/v1beta1');
  assert.equal(isvc.kind, 'InferenceService');
  assert.equal(isvc.metadata.name, 'demo-mlp');
  assert.equal(isvc.metadata.labels['app.kubernetes.io/version'], VERSION);
  assert.equal(isvc.metadata.annotations['mlsnap.ai/version-id'], VERSION);
  assert.equal(isvc.metadata.annotations['mlsnap.ai/seq'], '3');
  assert.equal(isvc.metadata.annotations['mlsnap.ai/sha256'], SHA256);
  assert.match(isvc.metadata.annotations['mlsnap.ai/estimate'], /2\.1K parameters .*not measured/);
  const c = isvc.spec.predictor.containers[0];
  assert.equal(c.name, 'kserve-container');
  assert.equal(c.image, `demo-mlp:${VERSION}`);
  const env = Object.fromEntries((c.env as { name: string; value: string }[]).map((x) => [x.name, x.value]));
  assert.deepEqual(env, {
    MODEL_PATH: `/models/${VERSION}/mlp.pt`,
    MODEL_URI: `file:///models/${VERSION}/mlp.pt`,
  });
  assert.deepEqual(c.resources, {
    requests: { cpu: '1', memory: kubernetesQuantity(e.servingBytes) },
    limits: { memory: kubernetesQuantity(Math.ceil(e.servingBytes * 1.25)) },
  });
});

test('kserve: a pushed model is fetched by the storage initializer from its remote object', () => {
  const [isvc] = yamlDocs(file(bundleFiles(input({ remoteUri: REMOTE })), 'inferenceservice.yaml'));
  const env = isvc.spec.predictor.containers[0].env as { name: string; value: string }[];
  assert.deepEqual(
    env.find((x) => x.name === 'STORAGE_URI'),
    { name: 'STORAGE_URI', value: REMOTE },
  );
  assert.equal(isvc.metadata.annotations['mlsnap.ai/model-uri'], REMOTE);
});

test('a GPU environment (CUDA torch, recorded GPU): nvidia.com/gpu in limits and the GPU memory stated', () => {
  const e = mlpEstimate();
  const [isvc] = yamlDocs(file(bundleFiles(input({ environment: cudaEnv() })), 'inferenceservice.yaml'));
  assert.equal(isvc.spec.predictor.containers[0].resources.limits['nvidia.com/gpu'], 1);
  assert.match(isvc.metadata.annotations['mlsnap.ai/gpu-memory'], new RegExp(`gpuBytes ${e.gpuBytes}\\b`));
  // The CUDA wheel alone is enough: a record from a machine whose nvidia-smi failed.
  const noSmi: EnvironmentInfo = { ...cudaEnv(), gpus: [] };
  const [again] = yamlDocs(file(bundleFiles(input({ environment: noSmi })), 'inferenceservice.yaml'));
  assert.equal(again.spec.predictor.containers[0].resources.limits['nvidia.com/gpu'], 1);
  const [cpu] = yamlDocs(file(bundleFiles(input()), 'inferenceservice.yaml'));
  assert.equal(cpu.spec.predictor.containers[0].resources.limits['nvidia.com/gpu'], undefined);
  assert.equal(cpu.metadata.annotations['mlsnap.ai/gpu-memory'], undefined);
});

test('no estimate: a 1Gi default, named as one in an annotation', () => {
  const [isvc] = yamlDocs(file(bundleFiles(input({ estimate: null })), 'inferenceservice.yaml'));
  const r = isvc.spec.predictor.containers[0].resources;
  assert.equal(r.requests.memory, kubernetesQuantity(DEFAULT_MEMORY_BYTES));
  assert.equal(r.requests.memory, '1024Mi');
  assert.equal(r.limits.memory, '1280Mi');
  assert.match(
    isvc.metadata.annotations['mlsnap.ai/estimate'],
    /no resource estimate was recorded.*default, not an estimate/,
  );
});

test('k8s: a Deployment whose selector matches its pods, and a Service selecting them on 8080', () => {
  const e = mlpEstimate();
  const docs = yamlDocs(file(bundleFiles(input({ format: 'k8s' })), 'deployment.yaml'));
  assert.equal(docs.length, 2);
  const [dep, svc] = docs;
  assert.equal(dep.apiVersion, 'apps/v1');
  assert.equal(dep.kind, 'Deployment');
  assert.equal(dep.spec.replicas, 1);
  const podLabels = dep.spec.template.metadata.labels as Record<string, string>;
  for (const [k, v] of Object.entries(dep.spec.selector.matchLabels as Record<string, string>))
    assert.equal(podLabels[k], v, `selector ${k} is a pod label`);
  const c = dep.spec.template.spec.containers[0];
  assert.equal((c.image as string).split(':').pop(), VERSION);
  assert.deepEqual(c.env, [
    { name: 'MODEL_PATH', value: `/models/${VERSION}/mlp.pt` },
    { name: 'MODEL_URI', value: `file:///models/${VERSION}/mlp.pt` },
  ]);
  assert.equal(c.resources.requests.memory, kubernetesQuantity(e.servingBytes));
  assert.equal(c.ports[0].containerPort, 8080);
  assert.equal(svc.apiVersion, 'v1');
  assert.equal(svc.kind, 'Service');
  assert.equal(svc.metadata.name, dep.metadata.name);
  for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) assert.equal(podLabels[k], v);
  assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 8080, targetPort: 8080 }]);
});

test('docker: a Compose file that builds the image, tagged with the version, memory from the estimate', () => {
  const e = mlpEstimate();
  const [compose] = yamlDocs(file(bundleFiles(input({ format: 'docker', environment: cudaEnv() })), 'compose.yaml'));
  const names = Object.keys(compose.services as object);
  assert.deepEqual(names, ['demo-mlp']);
  const svc = compose.services['demo-mlp'];
  assert.equal(svc.image, `demo-mlp:${VERSION}`);
  assert.equal(svc.build, '.');
  assert.equal(svc.environment.MODEL_PATH, `/models/${VERSION}/mlp.pt`);
  assert.deepEqual(svc.ports, [{ target: 8080, published: '8080', protocol: 'tcp' }]);
  const MiB = 1024 * 1024;
  assert.equal(svc.deploy.resources.limits.memory, `${Math.ceil(Math.ceil(e.servingBytes * 1.25) / MiB)}m`);
  assert.equal(svc.deploy.resources.reservations.memory, `${Math.ceil(e.servingBytes / MiB)}m`);
  assert.deepEqual(svc.deploy.resources.reservations.devices, [{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
  assert.equal(compose['x-mlsnap']['version-id'], VERSION);
});

test('Dockerfile: the recorded environment, then the model copied, labelled and pointed at', () => {
  const b = bundleFiles(input({ lockfiles: ['requirements.txt'] }));
  const docker = file(b, 'Dockerfile');
  assert.match(docker, /^FROM python:3\.11\.2-slim$/m);
  assert.match(docker, /^COPY requirements\.txt \/workspace\/requirements\.txt$/m);
  assert.match(docker, new RegExp(`^COPY model/ /models/${VERSION}/$`, 'm'));
  assert.match(docker, new RegExp(`^ENV MODEL_PATH="/models/${VERSION}/mlp\\.pt"$`, 'm'));
  assert.match(docker, new RegExp(`org\\.opencontainers\\.image\\.version="${VERSION}"`));
  assert.match(docker, new RegExp(`ai\\.mlsnap\\.sha256="${SHA256}"`));
  assert.match(docker, /\nCMD \["python"\]\n$/, 'CMD stays the last instruction');
  // The flagged pins of the export, as name==version, and nothing installable among them.
  assert.deepEqual(b.unsatisfiable.map((p) => p.split('==')[0]).sort(), [...DEBIAN_FLAGGED].sort());
  assert.ok(b.unsatisfiable.includes('torch==1.13.0a0+gitunknown'), b.unsatisfiable.join(', '));
  const cuda = file(bundleFiles(input({ environment: cudaEnv() })), 'Dockerfile');
  assert.match(cuda, /^FROM nvidia\/cuda:12\.1\.0-runtime-ubuntu22\.04$/m);
});

test('no environment recorded: a python:3-slim Dockerfile that says so, nothing unsatisfiable', () => {
  for (const format of BUNDLE_FORMATS) {
    const b = bundleFiles(input({ format, environment: null }));
    const docker = file(b, 'Dockerfile');
    assert.match(docker, /^FROM python:3-slim$/m);
    assert.match(docker, /No environment was recorded/);
    assert.match(docker, new RegExp(`^COPY model/ /models/${VERSION}/$`, 'm'));
    assert.deepEqual(b.unsatisfiable, []);
    for (const doc of yamlDocs(file(b, MANIFEST[format]))) assert.ok(doc);
  }
});

/** Dockerfile instructions: every line that is not a comment, a continuation or blank. */
function instructions(dockerfile: string): string[] {
  const out: string[] = [];
  let continued = false;
  for (const line of dockerfile.split('\n')) {
    if (!continued && line.trim() !== '' && !line.startsWith('#')) out.push(line.split(' ')[0] ?? '');
    continued = line.endsWith('\\');
  }
  return out;
}

const HOSTILE_PATHS = [
  'models/a\nFROM evil.pt',
  'models/"quoted" \'single\' #hash.pt',
  'models/$(touch x)${HOME}\\.pt',
  'models/a\r\nRUN rm -rf /\u2028.pt',
  'models/..',
  'models/-v.pt',
];

test('hostile model paths cannot add a Dockerfile instruction or a YAML key, and keep a safe file name', () => {
  const clean = instructions(file(bundleFiles(input()), 'Dockerfile'));
  for (const modelPath of HOSTILE_PATHS) {
    for (const format of BUNDLE_FORMATS) {
      const b = bundleFiles(input({ format, model: { ...input().model, path: modelPath }, project: 'x\ny: 1 #' }));
      assert.match(b.modelFile, /^model\/[A-Za-z0-9+-][A-Za-z0-9._+-]*$/, JSON.stringify(modelPath));
      assert.deepEqual(instructions(file(b, 'Dockerfile')), clean, JSON.stringify(modelPath));
      const docs = yamlDocs(file(b, MANIFEST[format]));
      const first = docs[0];
      if (format === 'docker') {
        assert.deepEqual(Object.keys(first.services as object), [
          dnsLabel('x\ny: 1 #', b.modelFile.slice(6).replace(/\.[^.]*$/, '')),
        ]);
        assert.deepEqual(Object.keys(first as object), ['services', 'x-mlsnap']);
      } else {
        assert.match(first.metadata.name as string, /^[a-z][a-z0-9-]{0,62}$/);
        assert.equal(first.metadata.annotations['mlsnap.ai/model-path'], modelPath, 'the path survives YAML intact');
        assert.deepEqual(Object.keys(first.metadata as object), ['name', 'labels', 'annotations']);
      }
      const record = JSON.parse(file(b, 'mlsnap-bundle.json')) as Json;
      assert.equal(record.model.path, modelPath);
    }
  }
});

test('names: DNS labels, label values, tags, file names and Dockerfile strings are reduced or escaped', () => {
  assert.equal(dnsLabel('My Project', 'MLP_v2'), 'my-project-mlp-v2');
  assert.equal(dnsLabel('123', 'x'), 'm-123-x');
  assert.equal(dnsLabel('', '---'), 'model');
  const long = dnsLabel('p'.repeat(50), 'm'.repeat(50));
  assert.equal(long.length, 63);
  assert.match(long, /^p+-m+-[0-9a-f]{8}$/);
  assert.notEqual(long, dnsLabel('p'.repeat(50), 'm'.repeat(51)), 'cut names stay distinct');
  assert.equal(labelValue('-v1 2_'), 'v1-2');
  assert.equal(labelValue('x'.repeat(80)).length, 63);
  assert.equal(imageTag(VERSION), VERSION);
  assert.equal(imageTag('.a/b:c'), 'a-b-c');
  assert.equal(modelFileName('models/a\nFROM evil.pt'), 'a_FROM_evil.pt');
  assert.equal(modelFileName('models/..'), 'model');
  assert.equal(modelFileName('C:\\models\\w.safetensors'), 'w.safetensors');
  assert.equal(dockerString('a"b\\c$HOME\nd'), '"a\\"b\\\\c\\$HOME d"');
});
