/**
 * The files of a deployment bundle for one model version: a Dockerfile that rebuilds the
 * recorded environment with the model baked in, and the manifest of one target (a KServe
 * InferenceService, a Kubernetes Deployment + Service, or a Compose file) sized from the
 * resource estimate. Text only, deterministic (no timestamps), nothing written: writeBundle
 * writes them. Every value from the project or a record (paths, names, ids) is either reduced
 * to a safe alphabet or serialised by the `yaml` package / quoted, so none can add a line.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Document } from 'yaml';
import type { ModelSummary } from '../../../../shared/src/diff';
import type { EnvironmentInfo } from '../../../../shared/src/domain';
import { estimateLine, estimateLines, kubernetesQuantity } from '../../../../shared/src/estimateText';
import { oneLine, quoted } from '../../../../shared/src/environmentExport/comment';
import { exportEnvironment } from '../../../../shared/src/environmentExport/index';
import { isValidPackageName, normalizeName } from '../../../../shared/src/environmentExport/pins';
import { localLabel } from '../../../../shared/src/environmentExport/pep440';
import type { BundleFormat, ResourceEstimate } from '../../../../shared/src/release';

export interface BundleInput {
  format: BundleFormat;
  /** Project folder name, for resource names. */
  project: string;
  model: {
    path: string;
    versionId: string;
    seq: number;
    size: number;
    sha256: string;
    blake3: string;
    modelFormat: ModelSummary['format'];
  };
  estimate: ResourceEstimate | null;
  environment: EnvironmentInfo | null;
  /** Project-relative lockfile paths the caller writes into the bundle (the Dockerfile copies them). */
  lockfiles: string[];
  /** The model's object on a team remote (`s3://bucket/prefix/data/ab/<hash>`), when pushed there. */
  remoteUri: string | null;
}

export interface BundleFile {
  path: string;
  content: string;
}

export interface Bundle {
  files: BundleFile[];
  /** Where in the bundle the caller writes the model bytes: `model/<safe basename>`. */
  modelFile: string;
  /** `name==version` of the recorded pins the Dockerfile leaves out (no index has them). */
  unsatisfiable: string[];
}

/** The port the manifests route to; the serving command in the image must listen on it (KServe's default). */
export const SERVING_PORT = 8080;
/** Memory asked for when no estimate exists: a round default, and every manifest says it is one. */
export const DEFAULT_MEMORY_BYTES = 1024 * 1024 * 1024;
/** Limits leave a quarter above the estimate, so a slightly larger batch does not get the pod OOM-killed. */
export const LIMIT_FACTOR = 1.25;

// ---------------------------------------------------------------------------------------------
// Names: everything that reaches a manifest or the Dockerfile unquoted is built from these

/**
 * The model's file name inside the bundle and the image: its basename with every character
 * outside `[A-Za-z0-9._+-]` replaced, so a name holding a line break, quotes or `#` can neither
 * add a Dockerfile line nor break an env value, and no leading dot (hidden, `..`).
 */
export function modelFileName(modelPath: string): string {
  const base = path.posix.basename(modelPath.replace(/\\/g, '/'));
  const safe = base
    .replace(/[^A-Za-z0-9._+-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-200);
  return safe === '' ? 'model' : safe;
}

/**
 * A DNS-1035 label (what Services and InferenceServices need; a DNS-1123 label too): lower-case
 * letters, digits and `-`, starting with a letter, at most 63. A cut name keeps a hash of the
 * whole so that two long names that share a prefix stay distinct.
 */
export function dnsLabel(...parts: string[]): string {
  const joined = parts
    .map((p) => p.toLowerCase().replace(/[^a-z0-9]+/g, '-'))
    .join('-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  const lettered = /^[a-z]/.test(joined) ? joined : `m-${joined}`.replace(/-+$/, '');
  if (lettered.length <= 63) return lettered === 'm' ? 'model' : lettered;
  const hash = createHash('sha256').update(joined).digest('hex').slice(0, 8);
  return `${lettered.slice(0, 54).replace(/-+$/, '')}-${hash}`;
}

/** A Kubernetes label value: `[A-Za-z0-9._-]`, alphanumeric at both ends, at most 63. */
export function labelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** A Docker tag (`[A-Za-z0-9_.-]`, at most 128, not starting with `.` or `-`); version ids already are. */
export function imageTag(versionId: string): string {
  const tag = versionId
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
  return tag === '' ? 'latest' : tag;
}

/** Hex digests only: a record from a remote is untrusted, and these go into a Dockerfile LABEL. */
function hexDigest(value: string): string {
  return /^[0-9a-f]+$/i.test(value) ? value.toLowerCase() : 'invalid';
}

interface BundleNames {
  /** Resource, service and image name: `<project>-<model stem>`. */
  resource: string;
  image: string;
  tag: string;
  fileName: string;
  /** In the image: `/models/<tag>/<fileName>`. */
  modelPath: string;
  /** Where the bytes live: the team remote's object, or the copy in the image. */
  modelUri: string;
}

function bundleNames(input: BundleInput): BundleNames {
  const fileName = modelFileName(input.model.path);
  const stem = fileName.replace(/\.[^.]*$/, '') || fileName;
  const resource = dnsLabel(input.project, stem);
  const tag = imageTag(input.model.versionId);
  const modelPath = `/models/${tag}/${fileName}`;
  return {
    resource,
    image: `${resource}:${tag}`,
    tag,
    fileName,
    modelPath,
    modelUri: input.remoteUri ?? `file://${modelPath}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Sizing

/** The recorded machine had a GPU, or torch was a CUDA wheel (`2.1.0+cu121`): serve it on one. */
export function wantsGpu(env: EnvironmentInfo | null): boolean {
  if (!env) return false;
  if (env.gpus.length > 0) return true;
  return env.packages.some(
    (p) =>
      isValidPackageName(p?.name) &&
      normalizeName(p.name) === 'torch' &&
      typeof p.version === 'string' &&
      /^cu\d{2,3}$/.test(localLabel(p.version) ?? ''),
  );
}

interface Sizing {
  requestBytes: number;
  limitBytes: number;
  request: string;
  limit: string;
  /** One sentence on where the figure comes from, for an annotation. */
  note: string;
  gpu: boolean;
}

function sizing(input: BundleInput): Sizing {
  const e = input.estimate;
  const requestBytes = e ? e.servingBytes : DEFAULT_MEMORY_BYTES;
  const limitBytes = Math.ceil(requestBytes * LIMIT_FACTOR);
  const note = e
    ? `${estimateLine(e)} (${e.basis})`
    : `no resource estimate was recorded for this version: memory ${kubernetesQuantity(requestBytes)} is a default, not an estimate`;
  return {
    requestBytes,
    limitBytes,
    request: kubernetesQuantity(requestBytes),
    limit: kubernetesQuantity(limitBytes),
    note,
    gpu: wantsGpu(input.environment),
  };
}

function k8sResources(s: Sizing): Record<string, Record<string, string | number>> {
  const limits: Record<string, string | number> = { memory: s.limit };
  if (s.gpu) limits['nvidia.com/gpu'] = 1;
  return { requests: { cpu: '1', memory: s.request }, limits };
}

// ---------------------------------------------------------------------------------------------
// Metadata shared by the manifests

function labels(input: BundleInput, names: BundleNames): Record<string, string> {
  return {
    'app.kubernetes.io/name': names.resource,
    'app.kubernetes.io/version': labelValue(input.model.versionId),
    'app.kubernetes.io/managed-by': 'mlsnap',
    'mlsnap.ai/seq': String(input.model.seq),
  };
}

function annotations(input: BundleInput, names: BundleNames, s: Sizing): Record<string, string> {
  const out: Record<string, string> = {
    'mlsnap.ai/version-id': input.model.versionId,
    'mlsnap.ai/seq': String(input.model.seq),
    'mlsnap.ai/model-path': input.model.path,
    'mlsnap.ai/sha256': input.model.sha256,
    'mlsnap.ai/blake3': input.model.blake3,
    'mlsnap.ai/model-uri': names.modelUri,
    'mlsnap.ai/estimate': s.note,
  };
  const e = input.estimate;
  if (s.gpu)
    out['mlsnap.ai/gpu-memory'] = e
      ? `${kubernetesQuantity(e.gpuBytes)} of GPU memory (gpuBytes ${e.gpuBytes}), estimated: pick a GPU with at least this`
      : 'no resource estimate was recorded: GPU memory needed is unknown';
  return out;
}

/** MODEL_PATH: the copy in the image. STORAGE_URI only for a remote object: see kserveManifest. */
function containerEnv(names: BundleNames, storageUri: boolean): { name: string; value: string }[] {
  const env = [
    { name: 'MODEL_PATH', value: names.modelPath },
    { name: 'MODEL_URI', value: names.modelUri },
  ];
  if (storageUri && !names.modelUri.startsWith('file://')) env.push({ name: 'STORAGE_URI', value: names.modelUri });
  return env;
}

/** One YAML document; the comment is fixed text, never a value from the project. */
function yamlDoc(value: unknown, comment?: string): string {
  const doc = new Document(value);
  if (comment !== undefined) doc.commentBefore = comment;
  return doc.toString({ lineWidth: 0 });
}

// ---------------------------------------------------------------------------------------------
// Targets

/**
 * A custom-container InferenceService. KServe's storage initializer fetches STORAGE_URI into
 * /mnt/models before the container starts; it has no handler for `file://`, so an unpushed
 * model sets no STORAGE_URI and is served from the copy baked into the image (MODEL_PATH).
 */
function kserveManifest(input: BundleInput, names: BundleNames, s: Sizing): string {
  const manifest = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: names.resource, labels: labels(input, names), annotations: annotations(input, names, s) },
    spec: {
      predictor: {
        containers: [
          {
            name: 'kserve-container',
            image: names.image,
            env: containerEnv(names, true),
            ports: [{ containerPort: SERVING_PORT, protocol: 'TCP' }],
            resources: k8sResources(s),
          },
        ],
      },
    },
  };
  return yamlDoc(manifest, ' Generated by mlsnap. Build and push the image first (README.md).');
}

function k8sManifests(input: BundleInput, names: BundleNames, s: Sizing): string {
  const selector = { 'app.kubernetes.io/name': names.resource };
  const meta = { name: names.resource, labels: labels(input, names), annotations: annotations(input, names, s) };
  const container = {
    name: 'model',
    image: names.image,
    env: containerEnv(names, false),
    ports: [{ name: 'http', containerPort: SERVING_PORT }],
    resources: k8sResources(s),
  };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: labels(input, names), annotations: annotations(input, names, s) },
        spec: { containers: [container] },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.resource, labels: labels(input, names) },
    spec: { selector, ports: [{ name: 'http', port: SERVING_PORT, targetPort: SERVING_PORT }] },
  };
  const readiness =
    " Generated by mlsnap. No readinessProbe: mlsnap does not know your server's health endpoint;\n" +
    ' add one (e.g. httpGet on port 8080) once the image runs a server.';
  return `${yamlDoc(deployment, readiness)}---\n${yamlDoc(service)}`;
}

/** Compose memory: a byte value in binary megabytes (`m`), rounded up. */
function composeMemory(bytes: number): string {
  return `${Math.ceil(bytes / (1024 * 1024))}m`;
}

function composeFile(input: BundleInput, names: BundleNames, s: Sizing): string {
  const reservations: Record<string, unknown> = { memory: composeMemory(s.requestBytes) };
  if (s.gpu) reservations['devices'] = [{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }];
  const environment = Object.fromEntries(containerEnv(names, false).map((e) => [e.name, e.value]));
  const compose = {
    services: {
      [names.resource]: {
        image: names.image,
        build: '.',
        environment,
        // The long form: a short `8080:8080` read by a YAML 1.1 parser is a base-60 number.
        ports: [{ target: SERVING_PORT, published: String(SERVING_PORT), protocol: 'tcp' }],
        labels: { 'ai.mlsnap.version-id': input.model.versionId, 'ai.mlsnap.sha256': input.model.sha256 },
        deploy: { resources: { limits: { memory: composeMemory(s.limitBytes) }, reservations } },
      },
    },
    // Compose ignores `x-` keys: where the figures come from travels with the file.
    'x-mlsnap': { 'version-id': input.model.versionId, seq: input.model.seq, estimate: s.note },
  };
  return yamlDoc(compose, ' Generated by mlsnap. docker compose up --build (README.md).');
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

/** A Dockerfile string: double quotes, with `\`, `"` and `$` (variable expansion) escaped, on one line. */
export function dockerString(value: string): string {
  return `"${oneLine(value).replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

function modelSection(input: BundleInput, names: BundleNames): string {
  const m = input.model;
  const labelsLine = [
    `org.opencontainers.image.version=${dockerString(names.tag)}`,
    `ai.mlsnap.sha256=${dockerString(hexDigest(m.sha256))}`,
    `ai.mlsnap.blake3=${dockerString(hexDigest(m.blake3))}`,
    `ai.mlsnap.seq=${dockerString(String(m.seq))}`,
    `ai.mlsnap.model-path=${dockerString(m.path)}`,
  ].join(' \\\n      ');
  return [
    `# The model: ${quoted(m.path, 200)}, version ${quoted(m.versionId)} (#${m.seq}).`,
    `COPY model/ /models/${names.tag}/`,
    `ENV MODEL_PATH=${dockerString(names.modelPath)}`,
    `LABEL ${labelsLine}`,
    `# The port the manifests route to: the serving command must listen on it.`,
    `EXPOSE ${SERVING_PORT}`,
  ].join('\n');
}

function environmentDockerfile(input: BundleInput): { content: string; unsatisfiable: string[] } {
  if (!input.environment) {
    const content = [
      '# Generated by mlsnap. No environment was recorded with this version, so this is a plain',
      '# Python image: install what loading the model needs (torch, scikit-learn, ...) before serving it.',
      'FROM python:3-slim',
      'CMD ["python"]',
    ].join('\n');
    return { content: `${content}\n`, unsatisfiable: [] };
  }
  const exported = exportEnvironment(input.environment, 'dockerfile', { lockfiles: input.lockfiles });
  const content = exported.files.find((f) => f.path === 'Dockerfile')?.content ?? '';
  return { content, unsatisfiable: exported.flagged.map((p) => `${p.name}==${p.version}`) };
}

/** The model goes before the final CMD, so that the CMD (what the image runs) stays the last line. */
function withModel(dockerfile: string, section: string): string {
  const lines = dockerfile.replace(/\n+$/, '').split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (!last.startsWith('CMD ')) return `${lines.join('\n')}\n\n${section}\n`;
  return `${lines.slice(0, -1).join('\n').replace(/\n+$/, '')}\n\n${section}\n\n${last}\n`;
}

// ---------------------------------------------------------------------------------------------
// README and the bundle's own record

function deploySteps(format: BundleFormat, names: BundleNames): string[] {
  const build = ['```sh', `docker build -t ${names.image} .`];
  switch (format) {
    case 'docker':
      return [...build, 'docker compose up', '```'];
    case 'k8s':
      return [
        ...build,
        `docker push <registry>/${names.image}   # then set that image in deployment.yaml`,
        'kubectl apply -f deployment.yaml',
        '```',
      ];
    case 'kserve':
      return [
        ...build,
        `docker push <registry>/${names.image}   # then set that image in inferenceservice.yaml`,
        'kubectl apply -f inferenceservice.yaml',
        '```',
      ];
  }
}

function readme(input: BundleInput, names: BundleNames, s: Sizing, unsatisfiable: string[]): string {
  const e = input.estimate;
  const lines = [
    `# ${names.resource} ${names.tag}`,
    '',
    `Deployment bundle (${input.format}) generated by mlsnap for ${quoted(input.model.path, 200)}, version ${names.tag} (#${input.model.seq}), sha256 ${hexDigest(input.model.sha256)}.`,
    '',
    `The image rebuilds the recorded environment and holds the model at \`${names.modelPath}\` (\`MODEL_PATH\`).`,
    `Its command is \`python\`: mlsnap does not know how you serve the model, so set the command of your`,
    `server (listening on port ${SERVING_PORT}) in the Dockerfile or the manifest before deploying.`,
    '',
    ...deploySteps(input.format, names),
    '',
    '## Resources',
    '',
    ...(e ? estimateLines(e).map((l) => `- ${oneLine(l)}`) : [`- ${s.note}`]),
    `- Memory request ${s.request}, limit ${s.limit} (the limit is the request + ${Math.round((LIMIT_FACTOR - 1) * 100)}%)${s.gpu ? '; one NVIDIA GPU' : ''}.`,
  ];
  if (unsatisfiable.length > 0)
    lines.push(
      '',
      '## Not installed in the image',
      '',
      'No package index has these recorded builds (see the Dockerfile comments):',
      '',
      ...unsatisfiable.map((p) => `- ${oneLine(p)}`),
    );
  return `${lines.join('\n')}\n`;
}

function bundleRecord(input: BundleInput, names: BundleNames, modelFile: string, unsatisfiable: string[]): string {
  const record = {
    format: 'mlsnap-bundle',
    version: 1,
    bundle: input.format,
    project: input.project,
    model: { ...input.model, file: modelFile },
    image: names.image,
    name: names.resource,
    modelUri: names.modelUri,
    estimate: input.estimate,
    unsatisfiable,
  };
  return `${JSON.stringify(record, null, 2)}\n`;
}

const MANIFESTS: Record<BundleFormat, { path: string; build: (i: BundleInput, n: BundleNames, s: Sizing) => string }> =
  {
    kserve: { path: 'inferenceservice.yaml', build: kserveManifest },
    k8s: { path: 'deployment.yaml', build: k8sManifests },
    docker: { path: 'compose.yaml', build: composeFile },
  };

export function bundleFiles(input: BundleInput): Bundle {
  const names = bundleNames(input);
  const s = sizing(input);
  const modelFile = `model/${names.fileName}`;
  const env = environmentDockerfile(input);
  const manifest = MANIFESTS[input.format];
  const files: BundleFile[] = [
    { path: 'Dockerfile', content: withModel(env.content, modelSection(input, names)) },
    { path: manifest.path, content: manifest.build(input, names, s) },
    { path: 'README.md', content: readme(input, names, s, env.unsatisfiable) },
    { path: 'mlsnap-bundle.json', content: bundleRecord(input, names, modelFile, env.unsatisfiable) },
  ];
  return { files, modelFile, unsatisfiable: env.unsatisfiable };
}
