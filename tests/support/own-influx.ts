/**
 * An InfluxDB of a test's own (temporary directory, free ports, configured like the run's shared
 * one) that the test can stop and start again on the same data: the InfluxDB-outage faults.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeInfluxConfig } from './processes';
import { nextEvent, waitFor } from './wait';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** An influxd of this test's own; start() and stop() can be called repeatedly on the same data. */
export class OwnInflux {
  private child?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'spp-influx-outage-'));
  private readonly conf: string;
  private readonly log = join(this.dir, 'influxd.log');

  constructor(
    readonly port: number,
    rpcPort: number,
  ) {
    this.conf = writeInfluxConfig(this.dir, port, rpcPort, false);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async ping(): Promise<boolean> {
    return fetch(`${this.url}/ping`).then(
      (r) => r.status === 204,
      () => false,
    );
  }

  async start(): Promise<void> {
    const bin = spawnSync('bash', ['-c', 'command -v influxd'], { encoding: 'utf8' }).stdout.trim() || '/usr/bin/influxd';
    const fd = openSync(this.log, 'a');
    const child = spawn(bin, ['run', '-config', this.conf], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitFor(
      async () => {
        if (exited) throw new Error(`influxd exited: ${readFileSync(this.log, 'utf8').slice(-2000)}`);
        return this.ping();
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'own influxd ready' },
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = nextEvent(child, 'exit', 10_000);
    child.kill('SIGTERM');
    await exited.catch(async () => {
      child.kill('SIGKILL');
      await nextEvent(child, 'exit', 5000);
    });
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
