import type { TransferProgress } from '../../../../shared/src/protocol';

/**
 * Counts objects and bytes of one transfer and reports them at most every `intervalMs`, with
 * the rate over the whole transfer so far and the time left at that rate.
 */
export class TransferMeter {
  private objectsDone = 0;
  private objectsTotal = 0;
  private bytesDone = 0;
  private bytesTotal = 0;
  /** Bytes that really crossed the network (a resumed upload skips what the remote had). */
  private bytesSent = 0;
  private readonly startedAt = Date.now();
  private lastReport = 0;

  constructor(
    private readonly phase: TransferProgress['phase'],
    private readonly report: ((p: TransferProgress) => void) | undefined,
    private readonly intervalMs = 250,
  ) {}

  plan(objects: number, bytes: number): void {
    this.objectsTotal += objects;
    this.bytesTotal += bytes;
    this.emit(true);
  }

  /** `bytes` more of the planned bytes are done; `sent` of them went over the wire. */
  progress(bytes: number, sent = bytes): void {
    this.bytesDone += bytes;
    this.bytesSent += sent;
    this.emit(false);
  }

  objectDone(): void {
    this.objectsDone++;
    this.emit(false);
  }

  get sent(): number {
    return this.bytesSent;
  }

  finish(): TransferProgress {
    this.emit(true);
    return this.snapshot();
  }

  snapshot(): TransferProgress {
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
    const rate = this.bytesDone / seconds;
    const left = this.bytesTotal - this.bytesDone;
    return {
      phase: this.phase,
      objectsDone: this.objectsDone,
      objectsTotal: this.objectsTotal,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      bytesPerSecond: Math.round(rate),
      secondsLeft: rate > 0 && left > 0 ? Math.round(left / rate) : 0,
    };
  }

  private emit(force: boolean): void {
    if (this.report === undefined) return;
    const now = Date.now();
    if (!force && now - this.lastReport < this.intervalMs) return;
    this.lastReport = now;
    this.report(this.snapshot());
  }
}
