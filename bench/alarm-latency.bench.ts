import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { connectAsync, type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { latencySummary, machineInfo, resultsDir, simMain, startBenchPlatform } from './support';

/**
 * Alarm latency benchmark: starts the built platform as its own process (embedded broker, PGlite,
 * the Redis and InfluxDB at REDIS_URL / INFLUX_URL), provisions a few elevators, connects a
 * socket.io client narrowed to their community, and measures MQTT publish of a fault event →
 * alarm.raised at the socket client, first idle, then while the simulator's load mode runs in the
 * background. Writes bench/results/alarm-latency-latest.{json,md}.
 */

interface Options {
  samples: number;
  loadRate: number;
  loadDevices: number;
  faultDevices: number;
  redisUrl: string;
  influxUrl: string;
  out: string;
}





async function main(): Promise<void> {
  const o = new Command('alarm-latency')
    .option('--samples <n>', 'fault events per phase', (v) => Number(v), 200)
    .option('--load-rate <n>', 'background simulator load, messages per second', (v) => Number(v), 22500)
    .option('--load-devices <n>', 'simulator device connections', (v) => Number(v), 100)
    .option('--fault-devices <n>', 'elevators publishing fault events', (v) => Number(v), 5)
    .option('--redis-url <url>', 'Redis to use (a database of its own is selected)', 'redis://127.0.0.1:6379')
    .option('--influx-url <url>', 'InfluxDB base URL', 'http://127.0.0.1:8086')
    .option('--out <dir>', 'results folder', resultsDir)
    .parse()
    .opts<Options>();
  const platform = await startBenchPlatform('alarm-bench', o);
  const { httpUrl, mqttUrl, adminPassword, dataDir } = platform;
  const clients: MqttClient[] = [];
  let socket: Socket | undefined;
  let sim: ChildProcess | undefined;
  try {
    const api = async (method: string, path: string, body?: unknown, token?: string) => {
      const res = await fetch(`${httpUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as any;
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const { accessToken } = await api('POST', '/api/v1/auth/login', { username: 'admin', password: adminPassword });
    const community = await api('POST', '/api/v1/communities', { name: 'Alarm bench', district: 'Bench', street: 'Latency' }, accessToken);
    const devices: Array<{ id: string; secret: string }> = [];
    for (let i = 0; i < o.faultDevices; i++) devices.push(await api('POST', '/api/v1/devices', { communityId: community.id, kind: 'elevator', name: `bench lift ${i}` }, accessToken));
    for (const d of devices) {
      clients.push(await connectAsync(mqttUrl, { clientId: d.id, username: d.id, password: d.secret, protocolVersion: 4, reconnectPeriod: 0 }));
    }
    socket = io(httpUrl, { auth: { token: accessToken }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((res, rej) => {
      socket!.once('connect', () => res());
      socket!.once('connect_error', rej);
    });
    await new Promise<void>((res) => socket!.emit('subscribe', { communityId: community.id }, () => res()));

    const pending = new Map<string, number>();
    const waiting = new Map<string, () => void>();
    socket.on('alarm.raised', (e: { deviceId: string; type: string }) => {
      const at = performance.now();
      const key = `${e.deviceId}|${e.type}`;
      const start = pending.get(key);
      if (start === undefined) return;
      pending.delete(key);
      latencies.push(at - start);
      waiting.get(key)?.();
    });
    socket.on('alarm.cleared', (e: { deviceId: string; type: string }) => waiting.get(`${e.deviceId}|${e.type}|clear`)?.());
    let latencies: number[] = [];

    const measure = async (label: string): Promise<number[]> => {
      latencies = [];
      let lost = 0;
      for (let i = 0; i < o.samples; i++) {
        const idx = i % devices.length;
        const d = devices[idx];
        const key = `${d.id}|emergency_call`;
        const raised = new Promise<void>((res) => waiting.set(key, res));
        pending.set(key, performance.now());
        await clients[idx].publishAsync(`v1/devices/${d.id}/events`, JSON.stringify({ type: 'emergency_call', active: true }), { qos: 1 });
        const ok = await Promise.race([raised.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
        if (!ok) lost++;
        const cleared = new Promise<void>((res) => waiting.set(`${key}|clear`, res));
        await clients[idx].publishAsync(`v1/devices/${d.id}/events`, JSON.stringify({ type: 'emergency_call', active: false }), { qos: 1 });
        await Promise.race([cleared, new Promise((r) => setTimeout(r, 10_000))]);
        await new Promise((r) => setTimeout(r, 20));
      }
      console.error(`[alarm-bench] ${label}: ${latencies.length} samples, ${lost} lost`);
      return latencies;
    };

    console.error(`[alarm-bench] idle: ${o.samples} fault events`);
    const idle = await measure('idle');

    const creds = join(dataDir, 'sim-devices.json');
    const common = ['--api', httpUrl, '--mqtt', mqttUrl, '--username', 'admin', '--password', adminPassword, '--data-dir', dataDir];
    await new Promise<void>((res, rej) => {
      const p = spawn(process.execPath, [simMain, ...common, 'provision', '--devices', String(o.loadDevices), '--credentials-out', creds], { stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`sim provision exited ${code}`))));
    });
    console.error(`[alarm-bench] background load: ${o.loadRate} msg/s from ${o.loadDevices} simulator connections`);
    sim = spawn(process.execPath, [simMain, ...common, '--credentials', creds, '--json', '--duration', '600', 'load', '--rate', String(o.loadRate), '--qos', '1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let simRate = 0;
    const simRates: number[] = [];
    let buffered = '';
    sim.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"type":"progress"')) continue;
        try {
          const p = JSON.parse(line) as { ackRate?: number; rate?: number };
          simRate = Number(p.ackRate ?? p.rate ?? 0);
          simRates.push(simRate);
        } catch {
          /* not JSON */
        }
      }
    });
    let simExit: number | null = null;
    sim.on('exit', (code) => (simExit = code ?? -1));
    await new Promise((r) => setTimeout(r, 8000)); // let the load ramp up
    if (simExit !== null || simRate === 0) throw new Error(`the simulator's load mode is not running (exit ${simExit}, rate ${simRate})`);
    const ratesBefore = simRates.length;
    const loaded = await measure('under load');
    const during = simRates.slice(ratesBefore);
    simRate = during.length > 0 ? during.reduce((a, b) => a + b, 0) / during.length : simRate;
    if (simExit !== null) throw new Error(`the simulator stopped during the measurement (exit ${simExit})`);
    const result = {
      benchmark: 'alarm-latency',
      at: new Date().toISOString(),
      machine: machineInfo(),
      setup: { faultDevices: o.faultDevices, event: 'emergency_call (QoS 1)', loadTargetRate: o.loadRate, loadAchievedRate: Math.round(simRate), loadDevices: o.loadDevices, broker: 'embedded aedes', database: 'PGlite' },
      idleMs: latencySummary(idle),
      underLoadMs: latencySummary(loaded),
    };
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'alarm-latency-latest.json'), JSON.stringify(result, null, 2) + '\n');
    const md = [
      `# Alarm latency benchmark (${result.at})`,
      '',
      `${result.machine.cpus} cores (${result.machine.cpuModel}); MQTT publish of an emergency_call event → alarm.raised at a socket.io client; ${o.faultDevices} elevators, ${o.samples} events per phase; ${result.setup.broker}, ${result.setup.database}; everything on the same machine.`,
      '',
      '| phase | samples | p50 | p99 | max |',
      '|---|---|---|---|---|',
      `| idle | ${result.idleMs.samples} | ${result.idleMs.p50} ms | ${result.idleMs.p99} ms | ${result.idleMs.max} ms |`,
      `| simulator load (target ${o.loadRate} msg/s, acknowledged on average ${result.setup.loadAchievedRate} msg/s during the measurement) | ${result.underLoadMs.samples} | ${result.underLoadMs.p50} ms | ${result.underLoadMs.p99} ms | ${result.underLoadMs.max} ms |`,
      '',
    ].join('\n');
    writeFileSync(join(o.out, 'alarm-latency-latest.md'), md);
    console.log(md);
  } finally {
    if (sim && sim.exitCode === null) sim.kill('SIGTERM');
    socket?.disconnect();
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await platform.close();
  }
}

main().catch((error: Error) => {
  console.error(`[alarm-bench] ${error.message}`);
  process.exit(1);
});
