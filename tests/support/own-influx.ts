/**
 * An InfluxDB of a test's own (temporary directory, free ports, started as the run's shared one
 * is, by startInfluxd) that the test can stop and start again on the same data: the
 * InfluxDB-outage faults.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfluxd, type Started } from './processes';
import { nextEvent } from './wait';

/** An influxd of this test's own; start() and stop() can be called repeatedly on the same data. */
export class OwnInflux {
  private started?: Started;
  readonly dir = mkdtempSync(join(tmpdir(), 'spp-influx-outage-'));

  constructor(
    readonly port: number,
    private readonly rpcPort: number,
  ) {}

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
    await startInfluxd(bin, this.dir, this.port, this.rpcPort, false, (s) => (this.started = s));
  }

  async stop(): Promise<void> {
    const child = this.started?.child;
    this.started = undefined;
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
