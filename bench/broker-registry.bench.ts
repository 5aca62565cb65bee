import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { connectAsync } from 'mqtt';
import { freePort, latencySummary, machineInfo, resultsDir, startBenchPlatform, waitFor } from './support';

/**
 * External brokers keeping the registry's devices (MQTT_BROKER_AUTH):
 * 1. mosquitto-dynsec: a Mosquitto 2 with the dynamic-security plugin already holding N other
 *    clients (seeded into its file, not the platform's), the built platform as its own process:
 *    REST provision → the device can connect, disable → the broker drops it, rotate; and the
 *    start-up reconciliation. The plugin rewrites its whole file on every change, so these grow
 *    with N: the point of the sizes.
 * 2. emqx-http: the authentication and authorisation hooks under concurrent keep-alive load, as
 *    a ratio to a bare node:http server answering the same requests in the same run.
 * Writes bench/results/broker-registry-latest.{json,md}.
 */

const PLATFORM_USER = 'spp-platform';
const BARE_HOOK_SERVER = `require('node:http').createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString());
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":"allow","is_superuser":false}');
  });
}).listen(Number(process.argv[1]), '127.0.0.1');`;
const HOOK_SECRET = 'bench-hook-secret-'.padEnd(40, 'x');

function pluginPath(): string {
  const dirs = ['/usr/lib', '/usr/local/lib'].filter(existsSync);
  const found = ['/usr/lib/mosquitto_dynamic_security.so', ...dirs.flatMap((d) => readdirSync(d).map((s) => join(d, s, 'mosquitto_dynamic_security.so')))].find(existsSync);
  if (!found) throw new Error('mosquitto_dynamic_security.so not found (Debian package mosquitto)');
  return found;
}

/** A Mosquitto of the bench's own: anonymous, or with the dynamic-security plugin holding `seed` extra clients. */
async function startMosquitto(options: { dynsec?: { password: string; seed: number } }): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'spp-bench-mosquitto-'));
  const port = await freePort();
  const lines = [`listener ${port} 127.0.0.1`, 'persistence false', `log_dest file ${join(dir, 'mosquitto.log')}`, 'log_type error', 'log_type warning'];
  const owned = [dir];
  if (options.dynsec) {
    const file = join(dir, 'dynamic-security.json');
    const init = spawnSync('mosquitto_ctrl', ['dynsec', 'init', file, PLATFORM_USER, options.dynsec.password], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`mosquitto_ctrl dynsec init: ${init.stderr}`);
    const config = JSON.parse(readFileSync(file, 'utf8')) as { clients: unknown[]; roles: unknown[] };
    for (let i = 0; i < options.dynsec.seed; i++) {
      // Shaped like the platform's device clients (role with five ACLs), but not in its group: the platform leaves them alone.
      const id = `seed-${i}`;
      const salt = randomBytes(12);
      config.clients.push({
        username: id,
        clientid: id,
        roles: [{ rolename: `seed-role-${id}` }],
        password: pbkdf2Sync(randomBytes(16).toString('hex'), salt, 101, 64, 'sha512').toString('base64'),
        salt: salt.toString('base64'),
        iterations: 101,
      });
      config.roles.push({
        rolename: `seed-role-${id}`,
        acls: ['telemetry', 'events', 'status', 'commands/ack']
          .map((c) => ({ acltype: 'publishClientSend', topic: `v1/devices/${id}/${c}`, priority: 0, allow: true }))
          .concat([{ acltype: 'subscribeLiteral', topic: `v1/devices/${id}/commands`, priority: 0, allow: true }]),
      });
    }
    writeFileSync(file, JSON.stringify(config, null, '\t'));
    lines.push('allow_anonymous false', `plugin ${pluginPath()}`, `plugin_opt_config_file ${file}`);
    owned.push(file);
  } else {
    lines.push('allow_anonymous true');
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines.join('\n') + '\n');
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(spawnSync('id', [flag, 'mosquitto'], { encoding: 'utf8' }).stdout.trim());
    for (const f of [...owned, conf]) chownSync(f, id('-u'), id('-g'));
  }
  const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  const kill = () => child.exitCode === null && child.kill('SIGTERM');
  process.on('exit', kill);
  await waitFor(
    `mosquitto on ${port}`,
    60_000,
    () =>
      new Promise<true | undefined>((resolve) => {
        const s = new Socket();
        s.once('error', () => resolve(undefined));
        s.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
      }),
  );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      kill();
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function restClient(httpUrl: string, password: string) {
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(`${httpUrl}/api/v1/${path}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const token = (await call('POST', 'auth/login', { username: 'admin', password })).body.accessToken as string;
  const community = (await call('POST', 'communities', { name: 'Broker bench', district: 'Bench', street: 'Bench' }, token)).body;
  return { call: (method: string, path: string, body?: unknown) => call(method, path, body, token), communityId: community.id as string };
}

async function dynsecSize(seed: number, rounds: number, stores: { redisUrl: string; influxUrl: string }) {
  const password = randomBytes(12).toString('hex');
  const broker = await startMosquitto({ dynsec: { password, seed } });
  const platform = await startBenchPlatform(`dynsec${seed}`, stores, { MQTT_URL: broker.url, MQTT_USERNAME: PLATFORM_USER, MQTT_PASSWORD: password, MQTT_BROKER_AUTH: 'mosquitto-dynsec' });
  try {
    const health = (await (await fetch(`${platform.httpUrl}/health`)).json()) as any;
    const rest = await restClient(platform.httpUrl, platform.adminPassword);
    const provision: number[] = [];
    const firstConnect: number[] = [];
    const disable: number[] = [];
    const dropped: number[] = [];
    const rotate: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      const device = (await rest.call('POST', 'devices', { communityId: rest.communityId, kind: 'elevator', name: `bench ${i}` })).body;
      provision.push(performance.now() - t);
      t = performance.now();
      const client = await connectAsync(broker.url, { clientId: device.id, username: device.id, password: device.secret, protocolVersion: 5, reconnectPeriod: 0 });
      firstConnect.push(performance.now() - t);
      const gone = new Promise<number>((resolve) => client.once('close', () => resolve(performance.now())));
      t = performance.now();
      const res = await rest.call('POST', `devices/${device.id}/disable`);
      disable.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`disable: ${res.status}`);
      dropped.push((await gone) - t);
      await rest.call('POST', `devices/${device.id}/enable`);
      t = performance.now();
      await rest.call('POST', `devices/${device.id}/rotate-secret`);
      rotate.push(performance.now() - t);
    }
    return {
      otherClients: seed,
      startupReconciliationMs: health.checks?.brokerRegistry?.lastReconciliation?.durationMs,
      provisionMs: latencySummary(provision),
      connectAfterProvisionMs: latencySummary(firstConnect),
      disableMs: latencySummary(disable),
      disableToDisconnectedMs: latencySummary(dropped),
      rotateMs: latencySummary(rotate),
    };
  } finally {
    await platform.close();
    await broker.stop();
  }
}

/** Runs `concurrency` request loops for `seconds`; returns requests per second and latencies. */
async function hammer(seconds: number, concurrency: number, request: () => Promise<void>) {
  const samples: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await request();
        samples.push(performance.now() - t);
      }
    }),
  );
  return { perSecond: Math.round(samples.length / seconds), latencyMs: latencySummary(samples) };
}

async function emqxHooks(devices: number, seconds: number, concurrency: number, stores: { redisUrl: string; influxUrl: string }) {
  const broker = await startMosquitto({});
  const hookPort = await freePort();
  const platform = await startBenchPlatform('emqxhooks', stores, {
    MQTT_URL: broker.url,
    MQTT_USERNAME: PLATFORM_USER,
    MQTT_PASSWORD: 'platform-password',
    MQTT_BROKER_AUTH: 'emqx-http',
    BROKER_AUTH_PORT: String(hookPort),
    BROKER_AUTH_SECRET: HOOK_SECRET,
  });
  let reference: ChildProcess | undefined;
  try {
    const rest = await restClient(platform.httpUrl, platform.adminPassword);
    const provisioned: Array<{ id: string; secret: string }> = [];
    for (let i = 0; i < devices; i++) provisioned.push((await rest.call('POST', 'devices', { communityId: rest.communityId, kind: 'fire', subtype: 'tank_level', name: `hook ${i}` })).body);
    const post = (base: string, path: string, body: unknown) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${HOOK_SECRET}` }, body: JSON.stringify(body) }).then(async (r) => {
        const answer = (await r.json()) as { result?: string };
        if (answer.result !== 'allow') throw new Error(`hook answered ${r.status} ${JSON.stringify(answer)}`);
      });
    const pick = () => provisioned[Math.floor(Math.random() * provisioned.length)];
    const authnBody = () => {
      const d = pick();
      return { clientid: d.id, username: d.id, password: d.secret, peerhost: '10.0.0.1' };
    };
    const authzBody = () => {
      const d = pick();
      return { clientid: d.id, username: d.id, topic: `v1/devices/${d.id}/telemetry`, action: 'publish', peerhost: '10.0.0.1', qos: '1', retain: 'false' };
    };
    const platformBase = `http://127.0.0.1:${hookPort}`;
    // First contact: each device's secret is verified once (the slow hash), then remembered.
    for (const d of provisioned) await post(platformBase, '/emqx/authn', { clientid: d.id, username: d.id, password: d.secret });
    // The bare reference, a process of its own like the platform: parse the JSON, answer allow.
    const referencePort = await freePort();
    reference = spawn(process.execPath, ['-e', BARE_HOOK_SERVER, String(referencePort)], { stdio: 'ignore' });
    const referenceBase = `http://127.0.0.1:${referencePort}`;
    await waitFor('the bare reference server', 30_000, () => fetch(referenceBase, { method: 'POST', body: '{}' }).then((r) => (r.ok ? true : undefined)));
    // A second of warm-up each (connections, JIT), then the measured run; the reference last as
    // well as first, so a change in the machine's load during the run shows.
    const measure = async (request: () => Promise<void>) => {
      await hammer(1, concurrency, request);
      return hammer(seconds, concurrency, request);
    };
    const bareBefore = await measure(() => post(referenceBase, '/', authnBody()));
    const authn = await measure(() => post(platformBase, '/emqx/authn', authnBody()));
    const authz = await measure(() => post(platformBase, '/emqx/authz', authzBody()));
    const bareAfter = await measure(() => post(referenceBase, '/', authnBody()));
    const bare = bareBefore.perSecond >= bareAfter.perSecond ? bareBefore : bareAfter;
    return {
      devices,
      concurrency,
      seconds,
      bareReference: bare,
      bareReferenceRuns: [bareBefore.perSecond, bareAfter.perSecond],
      authn: { ...authn, ratioToBare: Number((authn.perSecond / bare.perSecond).toFixed(2)) },
      authz: { ...authz, ratioToBare: Number((authz.perSecond / bare.perSecond).toFixed(2)) },
    };
  } finally {
    reference?.kill('SIGTERM');
    await platform.close();
    await broker.stop();
  }
}

async function main(): Promise<void> {
  const o = new Command('broker-registry-bench')
    .option('--sizes <list>', 'other clients already in the Mosquitto plugin, comma list', '0,2000,10000')
    .option('--rounds <n>', 'provision/disable/rotate rounds per size', '10')
    .option('--hook-devices <n>', 'devices the EMQX hooks are asked about', '200')
    .option('--hook-seconds <n>', 'seconds of load per hook', '5')
    .option('--hook-concurrency <n>', 'concurrent keep-alive requests (EMQX pools 8 connections, pipelining 100)', '32')
    .option('--redis-url <url>', 'Redis', 'redis://127.0.0.1:6379')
    .option('--influx-url <url>', 'InfluxDB base URL', 'http://127.0.0.1:8086')
    .option('--out <dir>', 'results folder', resultsDir)
    .parse()
    .opts<{ sizes: string; rounds: string; hookDevices: string; hookSeconds: string; hookConcurrency: string; redisUrl: string; influxUrl: string; out: string }>();
  const stores = { redisUrl: o.redisUrl, influxUrl: o.influxUrl };
  const dynsec = [];
  const loadBefore = loadavg()[0];
  for (const size of o.sizes.split(',').filter(Boolean).map(Number)) {
    console.error(`[broker-registry] Mosquitto dynamic security with ${size} other clients`);
    dynsec.push(await dynsecSize(size, Number(o.rounds), stores));
  }
  console.error('[broker-registry] EMQX hooks');
  const hooks = await emqxHooks(Number(o.hookDevices), Number(o.hookSeconds), Number(o.hookConcurrency), stores);
  // Other work on the machine shows in these numbers (the dynsec saves and the hooks are CPU-bound): say how much there was.
  const result = { at: new Date().toISOString(), machine: { ...machineInfo(), loadAverage1m: [loadBefore, loadavg()[0]].map((l) => Number(l.toFixed(1))) }, dynsec, emqxHooks: hooks };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'broker-registry-latest.json'), JSON.stringify(result, null, 2));
  const row = (s: { p50: number; p99: number }) => `${s.p50} / ${s.p99}`;
  const md = [
    '# External brokers keeping the registry (npm run bench)',
    '',
    `${result.at}, ${result.machine.cpus} CPUs (${result.machine.cpuModel}), 1-minute load average ${result.machine.loadAverage1m.join(' at the start, ')} at the end. Latencies p50 / p99 in ms.`,
    '',
    '## Mosquitto 2.0 dynamic security (MQTT_BROKER_AUTH=mosquitto-dynsec)',
    '',
    'Every change makes the plugin rewrite its whole JSON file, and the broker does nothing else meanwhile.',
    '',
    '| other clients in the plugin | start-up reconciliation | provision (REST) | connect after provision | disable (REST) | disable → dropped | rotate (REST) |',
    '|---|---|---|---|---|---|---|',
    ...(dynsec.length === 0 ? ['| (not run: --sizes was empty) | | | | | | |'] : []),
    ...dynsec.map((d) => `| ${d.otherClients} | ${d.startupReconciliationMs} ms | ${row(d.provisionMs)} | ${row(d.connectAfterProvisionMs)} | ${row(d.disableMs)} | ${row(d.disableToDisconnectedMs)} | ${row(d.rotateMs)} |`),
    '',
    '## EMQX HTTP hooks (MQTT_BROKER_AUTH=emqx-http)',
    '',
    `${hooks.devices} devices (secrets verified once, then remembered), ${hooks.concurrency} concurrent keep-alive requests, ${hooks.seconds} s each.`,
    '',
    '| | requests/s | p50 / p99 ms | ratio to a bare node:http server |',
    '|---|---|---|---|',
    `| bare reference (best of ${hooks.bareReferenceRuns.join(' and ')}) | ${hooks.bareReference.perSecond} | ${row(hooks.bareReference.latencyMs)} | 1 |`,
    `| authentication | ${hooks.authn.perSecond} | ${row(hooks.authn.latencyMs)} | ${hooks.authn.ratioToBare} |`,
    `| authorisation | ${hooks.authz.perSecond} | ${row(hooks.authz.latencyMs)} | ${hooks.authz.ratioToBare} |`,
    '',
  ].join('\n');
  writeFileSync(join(o.out, 'broker-registry-latest.md'), md);
  console.log(md);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
