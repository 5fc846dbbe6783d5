import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { GpuInfo, MachineInfo } from '../../../shared/src/domain';
import { describeExecFailure, ExecError, execBounded } from './BoundedExec';
import { findOnPath } from './PythonLocations';

/** Machine and GPUs do not change while the daemon runs; re-ask now and then in case of a driver update. */
const GPU_CACHE_MS = 10 * 60 * 1000;
const NVIDIA_SMI_TIMEOUT_MS = 5_000;

export interface GpuReport {
  gpus: GpuInfo[];
  note?: string;
}

/** PRETTY_NAME from an os-release file's text, when present. */
export function prettyNameFromOsRelease(text: string): string | null {
  const m = /^PRETTY_NAME=(.*)$/m.exec(text);
  if (m === null) return null;
  const raw = (m[1] ?? '').trim();
  const unquoted = /^(["'])(.*)\1$/.exec(raw)?.[2] ?? raw;
  return unquoted === '' ? null : unquoted;
}

function osName(): string {
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      const name = prettyNameFromOsRelease(readFileSync(file, 'utf8'));
      if (name !== null) return name;
    } catch {
      // Not Linux, or a minimal container without os-release.
    }
  }
  return os.type();
}

/** GPUs from `nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmiQuery(stdout: string, cuda?: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const [name = '', driver = '', memory = ''] = line.split(',').map((s) => s.trim());
    const gpu: GpuInfo = { name, driver };
    if (cuda !== undefined) gpu.cuda = cuda;
    const memoryMiB = Number.parseInt(memory, 10);
    if (Number.isFinite(memoryMiB)) gpu.memoryMiB = memoryMiB;
    gpus.push(gpu);
  }
  return gpus;
}

/** "CUDA Version: 12.4" from the banner of plain `nvidia-smi`. */
export function cudaVersionFromBanner(stdout: string): string | undefined {
  return /CUDA Version:\s*([0-9][0-9.]*)/.exec(stdout)?.[1];
}

/** Facts about this machine and its GPUs, cached for the life of the probe. */
export class MachineProbe {
  private machineInfo: MachineInfo | null = null;
  private gpuCache: { at: number; report: GpuReport } | null = null;
  private gpuInFlight: Promise<GpuReport> | null = null;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Synchronous so a capture that times out still has it. */
  machine(): MachineInfo {
    if (this.machineInfo === null) {
      const cpus = os.cpus();
      this.machineInfo = {
        os: osName(),
        release: os.release(),
        kernel: os.version(),
        arch: os.arch(),
        cpu: cpus[0]?.model.trim() ?? 'unknown',
        cpus: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
        memoryBytes: os.totalmem(),
      };
    }
    return this.machineInfo;
  }

  /**
   * Not cancelled by a capture's deadline: the run is shared by concurrent captures and bounded by
   * its own timeout; a capture that cannot wait simply reports GPUs as not answered.
   */
  async gpus(): Promise<GpuReport> {
    if (this.gpuCache !== null && Date.now() - this.gpuCache.at < GPU_CACHE_MS) return this.gpuCache.report;
    this.gpuInFlight ??= this.queryGpus().finally(() => {
      this.gpuInFlight = null;
    });
    return this.gpuInFlight;
  }

  private async queryGpus(): Promise<GpuReport> {
    const smi = await findOnPath(process.platform === 'win32' ? 'nvidia-smi.exe' : 'nvidia-smi', this.env);
    if (smi === null) return this.remember({ gpus: [], note: 'nvidia-smi not found' });
    try {
      const opts = { timeoutMs: NVIDIA_SMI_TIMEOUT_MS, env: this.env };
      const query = await execBounded(
        smi,
        ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'],
        opts,
      );
      if (query.code !== 0) {
        const why = query.stderr.trim() || query.stdout.toString('utf8').trim() || `exit code ${String(query.code)}`;
        return this.remember({ gpus: [], note: `nvidia-smi failed: ${why.split('\n')[0] ?? why}` });
      }
      // The CUDA version is only in the human-readable banner; it is optional.
      const banner = await execBounded(smi, [], opts).catch(() => null);
      const cuda = banner === null ? undefined : cudaVersionFromBanner(banner.stdout.toString('utf8'));
      const gpus = parseNvidiaSmiQuery(query.stdout.toString('utf8'), cuda);
      return this.remember(gpus.length > 0 ? { gpus } : { gpus, note: 'nvidia-smi lists no GPUs' });
    } catch (err) {
      // A hung driver may answer next time: do not cache a timeout for ten minutes.
      if (err instanceof ExecError && err.reason === 'timeout')
        return { gpus: [], note: `nvidia-smi did not answer within ${NVIDIA_SMI_TIMEOUT_MS} ms` };
      return this.remember({ gpus: [], note: `nvidia-smi failed: ${describeExecFailure(err)}` });
    }
  }

  private remember(report: GpuReport): GpuReport {
    this.gpuCache = { at: Date.now(), report };
    return report;
  }
}
