/**
 * The daemon's log. Lines go to stderr (the daemon's log file when detached); the detail of
 * every error lives here, while clients get one typed sentence.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export class Log {
  constructor(
    private readonly scope: string,
    private readonly minLevel: LogLevel = (process.env['MLSNAP_LOG_LEVEL'] as LogLevel | undefined) ?? 'info',
    private readonly sink: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {}

  child(scope: string): Log {
    return new Log(`${this.scope}:${scope}`, this.minLevel, this.sink);
  }

  debug(msg: string): void {
    this.write('debug', msg);
  }
  info(msg: string): void {
    this.write('info', msg);
  }
  warn(msg: string): void {
    this.write('warn', msg);
  }
  error(msg: string, err?: unknown): void {
    const detail = err instanceof Error ? `\n${err.stack ?? err.message}` : err === undefined ? '' : ` ${String(err)}`;
    this.write('error', msg + detail);
  }

  private write(level: LogLevel, msg: string): void {
    if (ORDER[level] < ORDER[this.minLevel]) return;
    this.sink(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${this.scope}] ${msg}`);
  }
}
