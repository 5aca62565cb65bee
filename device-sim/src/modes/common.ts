import type { DeviceCredential } from '../credentials';
import { PlatformClient } from '../rest-client';

export interface GlobalOptions {
  api: string;
  username?: string;
  password?: string;
  mqtt: string;
  credentials?: string;
  community?: string;
  seed?: number;
  duration?: number;
  json?: boolean;
  protocol: 4 | 5;
  dataDir: string;
}

/** Progress output: human lines on stderr-free stdout, or one JSON object per line with --json. */
export class Reporter {
  constructor(private readonly json: boolean) {}

  info(message: string, data: Record<string, unknown> = {}): void {
    if (this.json) this.line({ type: 'info', message, ...data });
    else console.log(message);
  }

  warn(message: string, data: Record<string, unknown> = {}): void {
    if (this.json) this.line({ type: 'warn', message, ...data });
    else console.error(`warning: ${message}`);
  }

  /** A machine-readable record (always JSON with --json; pretty otherwise via `human`). */
  record(type: string, data: Record<string, unknown>, human?: string): void {
    if (this.json) this.line({ type, ...data });
    else if (human !== undefined) console.log(human);
  }

  line(obj: Record<string, unknown>): void {
    process.stdout.write(JSON.stringify(obj) + '\n');
  }
}

/** An authenticated REST client, or an error message explaining what is missing. */
export async function adminClient(opts: GlobalOptions): Promise<PlatformClient> {
  if (!opts.username || !opts.password) {
    throw new Error('provisioning needs --username and --password (platform admin), or pass --credentials <file>');
  }
  const client = new PlatformClient(opts.api);
  await client.login(opts.username, opts.password);
  return client;
}

/** Resolves after `ms`, or at once when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** An AbortSignal fired by Ctrl-C / SIGTERM or after `durationS` seconds. */
export function stopSignal(durationS?: number): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (durationS !== undefined && durationS > 0) setTimeout(stop, durationS * 1000).unref();
  return controller.signal;
}

export function shortId(uuid: string): string {
  return uuid.replace(/[^A-Za-z0-9]/g, '').slice(0, 8).toLowerCase();
}

export function describeDevice(d: DeviceCredential): string {
  return d.kind === 'fire' ? `fire/${d.subtype}` : d.kind;
}
