/**
 * A Mosquitto 2 of a test's own with the dynamic-security plugin, configured as
 * deploy/mosquitto/mosquitto-dynsec.conf sets it up for MQTT_BROKER_AUTH=mosquitto-dynsec: no
 * anonymous access, no password or ACL file, every client, password and permission in the
 * plugin's JSON file (initialised with `mosquitto_ctrl dynsec init` for the platform's user,
 * which thereby holds the plugin's admin role). Free port, temporary directory;
 * start() and stop() can be repeated on the same data. admin() is a control client of the
 * test's, for changing the broker behind the platform's back.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { freePort } from './processes';
import { waitFor } from './wait';

export const DYNSEC_PLATFORM_USER = 'spp-platform';

/** Debian ships the plugin in the mosquitto package, under the multiarch library directory. */
export function dynsecPluginPath(): string {
  const candidates = ['/usr/lib/mosquitto_dynamic_security.so'];
  for (const dir of ['/usr/lib', '/usr/local/lib']) {
    if (!existsSync(dir)) continue;
    for (const sub of readdirSync(dir)) candidates.push(join(dir, sub, 'mosquitto_dynamic_security.so'));
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('mosquitto_dynamic_security.so not found: install the mosquitto package (Mosquitto 2)');
  return found;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
  });
}

export interface DynsecAdmin {
  /** Sends dynamic-security commands; resolves with their responses in order. */
  run(commands: Array<Record<string, unknown>>): Promise<Array<{ command: string; error?: string; data?: any }>>;
  close(): Promise<void>;
}

export class DynsecMosquitto {
  readonly dir = mkdtempSync(join(tmpdir(), 'spp-dynsec-'));
  readonly password = `pw-${Math.random().toString(36).slice(2)}`;
  private child?: ChildProcess;
  private readonly conf = join(this.dir, 'mosquitto.conf');
  readonly log = join(this.dir, 'mosquitto.log');

  private constructor(readonly port: number) {}

  static async create(): Promise<DynsecMosquitto> {
    const broker = new DynsecMosquitto(await freePort());
    broker.writeConfig();
    await broker.start();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** The platform's environment for this broker. */
  platformEnv(): Record<string, string> {
    return { MQTT_URL: this.url, MQTT_USERNAME: DYNSEC_PLATFORM_USER, MQTT_PASSWORD: this.password, MQTT_BROKER_AUTH: 'mosquitto-dynsec' };
  }

  private writeConfig(): void {
    const dynsecFile = join(this.dir, 'dynamic-security.json');
    const init = spawnSync('mosquitto_ctrl', ['dynsec', 'init', dynsecFile, DYNSEC_PLATFORM_USER, this.password], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`mosquitto_ctrl dynsec init failed: ${init.stderr || init.stdout}`);
    writeFileSync(
      this.conf,
      `# test broker for MQTT_BROKER_AUTH=mosquitto-dynsec (see deploy/mosquitto/mosquitto-dynsec.conf)
per_listener_settings false
listener ${this.port} 127.0.0.1
allow_anonymous false
plugin ${dynsecPluginPath()}
plugin_opt_config_file ${dynsecFile}
persistence false
log_dest file ${this.log}
log_type error
log_type warning
log_type notice
log_type information
`,
    );
    // Started as root, Mosquitto runs as the mosquitto user, which must write the plugin's file.
    if (process.getuid?.() === 0) {
      const uid = Number(spawnSync('id', ['-u', 'mosquitto'], { encoding: 'utf8' }).stdout.trim());
      const gid = Number(spawnSync('id', ['-g', 'mosquitto'], { encoding: 'utf8' }).stdout.trim());
      if (Number.isInteger(uid) && uid > 0) for (const f of [this.dir, dynsecFile, this.conf]) chownSync(f, uid, gid);
    }
  }

  async start(): Promise<void> {
    const bin = spawnSync('bash', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).stdout.trim() || '/usr/sbin/mosquitto';
    const fd = openSync(join(this.dir, 'stdout.log'), 'a');
    const child = spawn(bin, ['-c', this.conf], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitFor(
      async () => {
        if (exited) throw new Error(`mosquitto exited: ${this.tail()}`);
        return portOpen(this.port);
      },
      { timeoutMs: 20_000, message: `mosquitto (dynamic security) on port ${this.port}` },
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  tail(lines = 20): string {
    try {
      return readFileSync(this.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /**
   * A control client logged in as the platform's user (it holds the plugin's admin role). It
   * reconnects: the plugin drops every connection of a user whose roles change, as the platform
   * does to its own user on its first start.
   */
  async admin(): Promise<DynsecAdmin> {
    const client: MqttClient = await connectAsync(this.url, {
      clientId: `test-admin-${Math.random().toString(36).slice(2, 8)}`,
      username: DYNSEC_PLATFORM_USER,
      password: this.password,
      protocolVersion: 5,
      reconnectPeriod: 500,
    });
    let subscribed = client.subscribeAsync('$CONTROL/dynamic-security/v1/response');
    client.on('connect', () => (subscribed = client.subscribeAsync('$CONTROL/dynamic-security/v1/response')));
    let seq = 0;
    const waiting = new Map<string, (r: any) => void>();
    client.on('message', (_topic, payload) => {
      for (const r of (JSON.parse(payload.toString()) as { responses: any[] }).responses ?? []) waiting.get(r.correlationData)?.(r);
    });
    return {
      async run(commands) {
        const tagged = commands.map((c) => ({ ...c, correlationData: `test-${++seq}` }));
        const answers = tagged.map((c) => new Promise<any>((resolve) => waiting.set(c.correlationData, resolve)));
        await waitFor(() => client.connected, { message: 'the test control client is connected' });
        await subscribed;
        await client.publishAsync('$CONTROL/dynamic-security/v1', JSON.stringify({ commands: tagged }), { qos: 1 });
        return Promise.all(answers);
      },
      close: () => client.endAsync(true),
    };
  }
}
