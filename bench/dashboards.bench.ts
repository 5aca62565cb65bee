import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { io, type Socket } from 'socket.io-client';
import { latencySummary, machineInfo, resultsDir, simMain, startBenchPlatform } from './support';

/**
 * Dashboard fan-out benchmark: starts the built platform as its own process, lets the simulator's
 * load mode publish (default 22,500 msg/s from 100 devices of one community), connects N socket.io
 * clients (default 2000, from this process) subscribed to that community, and measures staleness =
 * receive time − the reading's ts for every device state (in `device.states` batches, as the dashboard receives them) the clients get, plus the clients
 * still connected and the platform's RSS. Writes bench/results/dashboards-latest.{json,md}.
 * Each client is a file descriptor here and in the platform: `ulimit -n` must exceed N plus headroom.
 */

interface Options {
  clients: number;
  loadRate: number;
  loadDevices: number;
  duration: number;
  redisUrl: string;
  influxUrl: string;
  out: string;
}

function rssMiB(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  const o = new Command('dashboards')
    .option('--clients <n>', 'socket.io dashboard clients', (v) => Number(v), 2000)
    .option('--load-rate <n>', 'simulator load, messages per second', (v) => Number(v), 22500)
    .option('--load-devices <n>', 'simulator device connections', (v) => Number(v), 100)
    .option('--duration <s>', 'measurement window, seconds', (v) => Number(v), 20)
    .option('--redis-url <url>', 'Redis to use (a database of its own is selected)', 'redis://127.0.0.1:6379')
    .option('--influx-url <url>', 'InfluxDB base URL', 'http://127.0.0.1:8086')
    .option('--out <dir>', 'results folder', resultsDir)
    .parse()
    .opts<Options>();
  const platform = await startBenchPlatform('dashboards-bench', o);
  const { httpUrl, mqttUrl, adminPassword, dataDir } = platform;
  const sockets: Socket[] = [];
  let sim: ChildProcess | undefined;
  try {
    const res = await fetch(`${httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }) });
    const { accessToken } = (await res.json()) as { accessToken: string };

    const creds = join(dataDir, 'sim-devices.json');
    const common = ['--api', httpUrl, '--mqtt', mqttUrl, '--username', 'admin', '--password', adminPassword, '--data-dir', dataDir];
    await new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, [simMain, ...common, 'provision', '--devices', String(o.loadDevices), '--credentials-out', creds], { stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sim provision exited ${code}`))));
    });
    const communityId = (JSON.parse(readFileSync(creds, 'utf8')) as { communityId: string }).communityId;

    // Dashboards: connect in batches, each narrowed to the simulator's community.
    let measuring = false;
    let staleness: number[] = [];
    let received = 0;
    let disconnects = 0;
    // Every client counts its events; one in ten keeps its staleness samples (bounded memory and sorting).
    const connectOne = (index: number) =>
      new Promise<Socket>((resolve, reject) => {
        // Like the dashboard page: device states batched per community and interval.
        const s = io(httpUrl, { auth: { token: accessToken, batch: true }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 60_000 });
        s.once('connect_error', reject);
        s.once('connect', () => s.emit('subscribe', { communityId }, (ack: { ok: boolean; error?: string }) => (ack?.ok ? resolve(s) : reject(new Error(ack?.error ?? 'subscribe failed')))));
        s.on('device.states', (batch: { states: Array<{ ts: number }> }) => {
          if (!measuring) return;
          const now = Date.now();
          received += batch.states.length;
          if (index % 10 === 0) for (const e of batch.states) staleness.push(now - e.ts);
        });
        s.on('disconnect', () => disconnects++);
      });
    const connectStarted = performance.now();
    for (let i = 0; i < o.clients; i += 100) {
      const batch = await Promise.allSettled(Array.from({ length: Math.min(100, o.clients - i) }, (_, k) => connectOne(i + k)));
      for (const b of batch) if (b.status === 'fulfilled') sockets.push(b.value);
    }
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    console.error(`[dashboards-bench] ${sockets.length}/${o.clients} dashboards connected in ${connectSeconds.toFixed(1)} s; RSS ${rssMiB(platform.process.pid)} MiB`);
    const rssIdle = rssMiB(platform.process.pid);

    console.error(`[dashboards-bench] simulator load: ${o.loadRate} msg/s from ${o.loadDevices} connections`);
    sim = spawn(process.execPath, [simMain, ...common, '--credentials', creds, '--json', '--duration', '600', 'load', '--rate', String(o.loadRate), '--qos', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
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
          simRates.push(Number(p.ackRate ?? p.rate ?? 0));
        } catch {
          /* not JSON */
        }
      }
    });
    let simExit: number | null = null;
    sim.on('exit', (code) => (simExit = code ?? -1));
    // let the load ramp up: at least 8 s and until the simulator reports progress (at most 60 s)
    const rampStart = Date.now();
    while (simExit === null && (Date.now() - rampStart < 8000 || (simRates.length === 0 && Date.now() - rampStart < 60_000))) await new Promise((r) => setTimeout(r, 250));
    if (simExit !== null || simRates.length === 0) throw new Error(`the simulator's load mode is not running (exit ${simExit})`);

    const ratesBefore = simRates.length;
    const rss: number[] = [];
    const rssTimer = setInterval(() => rss.push(rssMiB(platform.process.pid)), 1000);
    staleness = [];
    received = 0;
    measuring = true;
    const disconnectsBefore = disconnects;
    await new Promise((r) => setTimeout(r, o.duration * 1000));
    measuring = false;
    clearInterval(rssTimer);
    if (simExit !== null) throw new Error(`the simulator stopped during the measurement (exit ${simExit})`);
    const during = simRates.slice(ratesBefore);
    const simRate = during.length > 0 ? during.reduce((a, b) => a + b, 0) / during.length : 0;
    const connectedAtEnd = sockets.filter((s) => s.connected).length;
    const stale = latencySummary(staleness);
    const result = {
      benchmark: 'dashboards',
      at: new Date().toISOString(),
      machine: { ...machineInfo(), loadAverage1m: Number(loadavg()[0].toFixed(1)) },
      setup: {
        clientsTarget: o.clients,
        clientsConnected: sockets.length,
        clientsConnectedAtEnd: connectedAtEnd,
        disconnectsDuringMeasurement: disconnects - disconnectsBefore,
        connectSeconds: Number(connectSeconds.toFixed(1)),
        durationS: o.duration,
        loadTargetRate: o.loadRate,
        loadAchievedRate: Math.round(simRate),
        loadDevices: o.loadDevices,
        clientsIn: 'the bench process (same machine)',
        broker: 'embedded aedes',
        database: 'PGlite',
      },
      deviceStateEvents: { received, perClientPerSecond: Number((received / Math.max(1, sockets.length) / o.duration).toFixed(1)) },
      stalenessMs: stale,
      platformRssMiB: { beforeLoad: rssIdle, max: Math.max(...rss.filter(Number.isFinite)), end: rss[rss.length - 1] ?? NaN },
      target: { clients: 2000, stalenessP99Ms: 1000, met: sockets.length >= 2000 && connectedAtEnd >= 2000 && stale.p99 <= 1000 },
    };
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'dashboards-latest.json'), JSON.stringify(result, null, 2) + '\n');
    const md = [
      `# Dashboard fan-out benchmark (${result.at})`,
      '',
      `${result.machine.cpus} cores (${result.machine.cpuModel}), 1-min load average ${result.machine.loadAverage1m} at the end (the machine is shared); one platform process (${result.setup.broker}, ${result.setup.database}); ${sockets.length} socket.io dashboards subscribed to the load community, run from the bench process on the same machine; simulator load target ${o.loadRate} msg/s from ${o.loadDevices} devices (acknowledged on average ${result.setup.loadAchievedRate} msg/s); ${o.duration} s measured. Staleness = receive time − the reading's ts of each device state in the device.states batches the dashboard page also uses (samples from every tenth client).`,
      '',
      '| dashboards connected (start → end) | device states received | per client per s | staleness p50 | p99 | max | platform RSS before load → max |',
      '|---|---|---|---|---|---|---|',
      `| ${sockets.length} → ${connectedAtEnd} | ${received} | ${result.deviceStateEvents.perClientPerSecond} | ${stale.p50} ms | ${stale.p99} ms | ${stale.max} ms | ${rssIdle} → ${result.platformRssMiB.max} MiB |`,
      '',
      `Target (2,000 dashboards, p99 ≤ 1 s): ${result.target.met ? 'met' : 'not met'} in this run.`,
      '',
    ].join('\n');
    writeFileSync(join(o.out, 'dashboards-latest.md'), md);
    console.log(md);
  } finally {
    if (sim && sim.exitCode === null) sim.kill('SIGTERM');
    for (const s of sockets) s.disconnect();
    await platform.close();
  }
}

main().catch((error: Error) => {
  console.error(`[dashboards-bench] ${error.message}`);
  process.exit(1);
});
