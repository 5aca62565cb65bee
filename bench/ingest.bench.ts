import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Profiler } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { profileMarkdown, summariseProfile } from './profile-summary';
import { cpuProfilePath, freePort, loadSummary, type LoadSummary, machineInfo, processUsage, resultsDir, runSim, startBenchPlatform, waitFor } from './support';

/**
 * Ingestion benchmark, one run, one independent load generator (the simulator's load mode: N
 * connections, at most --window unacknowledged QoS 1 publishes each, as fast as acknowledgements
 * come back), three rounds:
 * 1. Mosquitto → one idle subscriber: the raw broker ceiling on this machine, now;
 * 1b. bare aedes → one idle subscriber: what the embedded broker alone costs a message (its CPU
 *    per message is the floor under the platform's);
 * 2. the built platform (embedded broker, durable acknowledgements, PGlite, the Redis and InfluxDB
 *    at REDIS_URL / INFLUX_URL with databases of its own) at the same load: stored rate, the ratio
 *    to round 1, loss (acknowledged − stored), PUBACK latency, CPU µs per message, RSS;
 * 3. the platform at half the target rate (0.4 × round 1): PUBACK latency there.
 * With --cpu-prof round 2 is CPU-profiled and summarised per stage (bench/profile-summary.ts).
 * Writes bench/results/ingest-latest.{json,md}.
 */

interface Options {
  rate: number;
  duration: number;
  devices: number;
  window: number;
  kind: string;
  qos: string;
  cpuProf: boolean;
  redisUrl: string;
  influxUrl: string;
  out: string;
}


/** Issue 11's targets. */
const TARGET = { ratio: 0.8, cpuUsPerMsg: 20, halfRateP99Ms: 50, idleRssMiB: 300, loadRssMiB: 600 };
const MiB = 2 ** 20;

async function influxCount(influxUrl: string, db: string): Promise<number> {
  const q = encodeURIComponent('SELECT count("mode") FROM "raw"."elevator"; SELECT count("value") FROM "raw"."fire"; SELECT count("barrier") FROM "raw"."gate"');
  const res = await fetch(`${influxUrl}/query?db=${db}&q=${q}`);
  const body = (await res.json()) as { results: Array<{ series?: Array<{ values: Array<[string, number]> }> }> };
  return body.results.reduce((sum, r) => sum + (r.series?.[0]?.values[0]?.[1] ?? 0), 0);
}

async function metric(httpUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}


type ReferenceBroker = 'mosquitto' | 'aedes';

/**
 * A reference broker with anonymous access and one idle QoS 1 subscriber (mosquitto_sub) to
 * everything; counts what it delivers. Mosquitto is the raw ceiling; bare aedes (bench/bare-aedes.ts)
 * is the floor of what the embedded broker costs before the platform does anything.
 */
async function startReferenceBroker(kind: ReferenceBroker): Promise<{ url: string; pid: number; delivered: () => number; close: () => Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `spp-bench-${kind}-`));
  let broker: ChildProcess;
  if (kind === 'mosquitto') {
    const conf = join(dir, 'mosquitto.conf');
    // Unbounded queue for the subscriber: what it is sent is counted, not dropped at 1,000 queued.
    writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 0', 'log_dest none', ''].join('\n'));
    broker = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  } else {
    broker = spawn(process.execPath, [join(__dirname, 'bare-aedes.js'), String(port)], { stdio: 'ignore' });
  }
  const stopBroker = () => broker.exitCode === null && broker.kill('SIGTERM');
  process.on('exit', stopBroker);
  let count = 0;
  let subscriber: ChildProcess | undefined;
  await waitFor(`${kind} on ${port} and its subscriber`, 30_000, async () => {
    subscriber?.kill();
    const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', '#', '-F', '.'], { stdio: ['ignore', 'pipe', 'ignore'] });
    subscriber = sub;
    sub.stdout!.on('data', (d: Buffer) => {
      for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) count++;
    });
    const exited = await new Promise<boolean>((r) => {
      sub.once('exit', () => r(true));
      setTimeout(() => r(false), 500);
    });
    return exited ? undefined : true;
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: broker.pid!,
    delivered: () => count,
    close: async () => {
      subscriber?.kill();
      stopBroker();
      await new Promise((r) => (broker.exitCode !== null ? r(undefined) : broker.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface ReferenceRound {
  load: LoadSummary;
  delivered: number;
  ratePerSec: number;
  /** The broker process's CPU per delivered message (the subscriber's and the generator's not counted). */
  cpuUsPerMessage: number;
}

async function referenceRound(kind: ReferenceBroker, o: Options): Promise<ReferenceRound> {
  const broker = await startReferenceBroker(kind);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'spp-bench-sim-'));
    const before = processUsage(broker.pid);
    const { load, exitedAt } = await runLoad(['--mqtt', broker.url, '--data-dir', dir], o, o.rate, ['--fake-devices']);
    rmSync(dir, { recursive: true, force: true });
    const expected = load.acked;
    const doneAt = await waitFor(`${kind} to deliver every message`, 30_000, async () => (broker.delivered() >= expected ? Date.now() : undefined)).catch(() => Date.now());
    const delivered = broker.delivered();
    const cpuSeconds = processUsage(broker.pid).cpuSeconds - before.cpuSeconds;
    return { load, delivered, ratePerSec: endToEndRate(delivered, load, exitedAt, doneAt), cpuUsPerMessage: delivered > 0 ? Number(((cpuSeconds * 1e6) / delivered).toFixed(1)) : NaN };
  } finally {
    await broker.close();
  }
}

async function runLoad(common: string[], o: Options, rate: number, loadArgs: string[] = []): Promise<{ load: LoadSummary; exitedAt: number }> {
  const output = await runSim([...common, '--json', '--duration', o.duration, 'load', '--rate', rate, '--qos', o.qos, '--window', o.window, '--kind', o.kind, '--devices', o.devices, ...loadArgs].map(String));
  const exitedAt = Date.now();
  return { load: loadSummary(output), exitedAt };
}

/** Messages per second over the load plus the time after it until everything was delivered or stored. */
const endToEndRate = (count: number, load: LoadSummary, exitedAt: number, doneAt: number) => Math.round(count / ((load.durationMs + Math.max(0, doneAt - exitedAt)) / 1000));

async function main(): Promise<void> {
  const program = new Command('bench')
    .option('--rate <n>', 'target messages per second of the full-load rounds (the window is the real limit)', '200000')
    .option('--duration <s>', 'seconds of load per round', '30')
    .option('--devices <n>', 'device connections', '100')
    .option('--window <n>', 'unacknowledged QoS 1 publishes per connection at most', '10')
    .option('--kind <kind>', 'device kind of the load (mix, elevator, fire, gate)', 'elevator')
    .option('--qos <q>', 'MQTT QoS of telemetry', '1')
    .option('--cpu-prof', 'CPU-profile the platform during the full-load round', false)
    .option('--redis-url <url>', 'Redis to use (a database of its own is selected)', 'redis://127.0.0.1:6379')
    .option('--influx-url <url>', 'InfluxDB base URL', 'http://127.0.0.1:8086')
    .option('--out <dir>', 'results folder', resultsDir)
    .parse();
  const o = program.opts<Options>();
  const shape = `${o.devices} connections, ≤ ${o.window} unacknowledged QoS ${o.qos} publishes each, ${o.kind} readings, ${o.duration} s per round`;

  // Round 1: the raw broker ceiling; round 1b: bare aedes, the embedded broker's own floor.
  console.error(`[bench] round 1: Mosquitto → one idle subscriber (${shape})`);
  const raw = await referenceRound('mosquitto', o);
  console.error(`[bench] round 1b: bare aedes → one idle subscriber (${shape})`);
  const bareAedes = await referenceRound('aedes', o);

  const nodeArgs = o.cpuProf ? ['-r', join(__dirname, 'cpu-profile.preload.js')] : [];
  const platform = await startBenchPlatform('ingest-bench', o, {}, nodeArgs);
  const { httpUrl, mqttUrl, adminPassword, dataDir, influxDb } = platform;
  try {
    const creds = join(dataDir, 'bench-devices.json');
    const common = ['--api', httpUrl, '--mqtt', mqttUrl, '--username', 'admin', '--password', adminPassword, '--data-dir', dataDir];
    console.error(`[bench] provisioning ${o.devices} devices`);
    await runSim([...common, 'provision', '--devices', o.devices, '--kind', o.kind, '--credentials-out', creds].map(String));
    const pid = platform.process.pid!;
    await new Promise((r) => setTimeout(r, 2000)); // let start-up work settle before the idle reading
    const idleRss = processUsage(pid).rssBytes;

    const platformRound = async (rate: number, profile: boolean) => {
      const before = processUsage(pid);
      const storedBefore = await influxCount(o.influxUrl, influxDb);
      let peakRss = before.rssBytes;
      const sampler = setInterval(() => {
        if (platform.process.exitCode === null) peakRss = Math.max(peakRss, processUsage(pid).rssBytes);
      }, 500);
      if (profile) process.kill(pid, 'SIGWINCH');
      const { load, exitedAt } = await runLoad([...common, '--credentials', creds], o, rate);
      const stored =
        (await waitFor('InfluxDB to hold every point', 120_000, async () => {
          const pending = await metric(httpUrl, 'spp_influx_points_pending');
          if (pending !== 0) return undefined;
          const count = await influxCount(o.influxUrl, influxDb);
          return count - storedBefore >= load.acked ? count : undefined;
        }).catch(() => influxCount(o.influxUrl, influxDb))) - storedBefore;
      const doneAt = Date.now();
      clearInterval(sampler);
      const after = processUsage(pid);
      let profileSummary: ReturnType<typeof summariseProfile> | undefined;
      if (profile) {
        process.kill(pid, 'SIGWINCH');
        const file = cpuProfilePath(pid);
        await waitFor('the CPU profile', 60_000, async () => (existsSync(file) ? true : undefined));
        await new Promise((r) => setTimeout(r, 1000)); // written in one call; give it time to finish
        profileSummary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as Profiler.Profile);
        mkdirSync(o.out, { recursive: true });
        if (statSync(file).size < 5 * MiB) copyFileSync(file, join(o.out, 'ingest-latest.cpuprofile'));
        writeFileSync(join(o.out, 'ingest-profile-latest.md'), `# Platform CPU profile under ingestion load (${new Date().toISOString()})\n\n${shape}.\n\n${profileMarkdown(profileSummary, stored)}`);
        rmSync(file, { force: true });
      }
      const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
      return {
        targetRate: rate,
        published: { messages: load.sent, acked: load.acked, errors: load.errors, ratePerSec: Math.round(load.ratePerSec), pubackLatencyMs: load.latencyMs },
        stored: { points: stored, ratePerSec: endToEndRate(stored, load, exitedAt, doneAt), loss: load.acked - stored },
        platform: {
          cpuUsPerMessage: stored > 0 ? Number(((cpuSeconds * 1e6) / stored).toFixed(1)) : NaN,
          cpuCoresAverage: Number((cpuSeconds / ((doneAt - exitedAt + load.durationMs) / 1000)).toFixed(2)),
          peakRssMiB: Math.round(peakRss / MiB),
        },
        profile: profileSummary,
      };
    };

    console.error(`[bench] round 2: the platform at full load (${shape})`);
    const full = await platformRound(Number(o.rate), o.cpuProf);
    const halfRate = Math.round(raw.ratePerSec * TARGET.ratio * 0.5);
    console.error(`[bench] round 3: the platform at half the target rate, ${halfRate} msg/s`);
    const half = await platformRound(halfRate, false);
    const rejected = await metric(httpUrl, 'spp_ingest_rejected_total');
    const ratio = Number((full.stored.ratePerSec / raw.ratePerSec).toFixed(2));
    const result = {
      benchmark: 'ingestion',
      at: new Date().toISOString(),
      machine: machineInfo(),
      setup: { devices: Number(o.devices), window: Number(o.window), kind: o.kind, qos: Number(o.qos), durationS: Number(o.duration), broker: 'embedded aedes', database: 'PGlite', profiled: o.cpuProf },
      mosquitto: { published: { acked: raw.load.acked, ratePerSec: Math.round(raw.load.ratePerSec), pubackLatencyMs: raw.load.latencyMs }, delivered: raw.delivered, ratePerSec: raw.ratePerSec, cpuUsPerMessage: raw.cpuUsPerMessage },
      bareAedes: { published: { acked: bareAedes.load.acked, ratePerSec: Math.round(bareAedes.load.ratePerSec), pubackLatencyMs: bareAedes.load.latencyMs }, delivered: bareAedes.delivered, ratePerSec: bareAedes.ratePerSec, cpuUsPerMessage: bareAedes.cpuUsPerMessage },
      ratio,
      full,
      half,
      rejected: Number.isNaN(rejected) ? 0 : rejected,
      idleRssMiB: Math.round(idleRss / MiB),
    };
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'ingest-latest.json'), JSON.stringify({ ...result, full: { ...full, profile: undefined } }, null, 2) + '\n');
    const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
    const lat = (l: LoadSummary['latencyMs']) => `${l.p50} ms / ${l.p99} ms`;
    const md = [
      `# Ingestion benchmark (${result.at})`,
      '',
      `${result.machine.cpus} cores (${result.machine.cpuModel}), one load generator: ${shape}; simulator, brokers, platform, Redis and InfluxDB on the same machine${o.cpuProf ? '; round 2 ran under the CPU profiler (slower)' : ''}.`,
      '',
      '| figure | value | target |',
      '|---|---|---|',
      `| Mosquitto → one idle subscriber | ${raw.ratePerSec} msg/s delivered (${raw.delivered} of ${raw.load.acked} acknowledged; PUBACK p50 / p99 ${lat(raw.load.latencyMs)}); broker CPU ${raw.cpuUsPerMessage} µs a message | |`,
      `| bare aedes → one idle subscriber (the embedded broker alone, no platform work) | ${bareAedes.ratePerSec} msg/s delivered (${bareAedes.delivered} of ${bareAedes.load.acked} acknowledged; PUBACK p50 / p99 ${lat(bareAedes.load.latencyMs)}); broker CPU ${bareAedes.cpuUsPerMessage} µs a message | |`,
      `| platform, stored in InfluxDB | ${full.stored.ratePerSec} msg/s (${full.stored.points} points) | |`,
      `| ratio platform / Mosquitto | ${ratio} | ≥ ${TARGET.ratio}: ${verdict(ratio >= TARGET.ratio)} |`,
      `| loss (acknowledged − stored), full load / half rate | ${full.stored.loss} / ${half.stored.loss} | 0: ${verdict(full.stored.loss === 0 && half.stored.loss === 0)} |`,
      `| PUBACK p50 / p99, full load | ${lat(full.published.pubackLatencyMs)} | |`,
      `| PUBACK p50 / p99 at half the target rate (${half.targetRate} msg/s, achieved ${half.published.ratePerSec}) | ${lat(half.published.pubackLatencyMs)} | p99 ≤ ${TARGET.halfRateP99Ms} ms: ${verdict(half.published.pubackLatencyMs.p99 <= TARGET.halfRateP99Ms)} |`,
      `| platform CPU per stored message, full load / half rate | ${full.platform.cpuUsPerMessage} µs / ${half.platform.cpuUsPerMessage} µs (${full.platform.cpuCoresAverage} / ${half.platform.cpuCoresAverage} cores) | ≤ ${TARGET.cpuUsPerMsg} µs: ${verdict(full.platform.cpuUsPerMessage <= TARGET.cpuUsPerMsg)} |`,
      `| platform RSS idle (after start and provisioning) | ${result.idleRssMiB} MiB | ≤ ${TARGET.idleRssMiB} MiB: ${verdict(result.idleRssMiB <= TARGET.idleRssMiB)} |`,
      `| platform peak RSS, full load | ${full.platform.peakRssMiB} MiB | ≤ ${TARGET.loadRssMiB} MiB: ${verdict(full.platform.peakRssMiB <= TARGET.loadRssMiB)} |`,
      `| rejected by validation | ${result.rejected} | |`,
      '',
      ...(full.profile ? ['## CPU per stage (round 2, profiled)', '', profileMarkdown({ ...full.profile, top: full.profile.top.slice(0, 15) }, full.stored.points)] : []),
    ].join('\n');
    writeFileSync(join(o.out, 'ingest-latest.md'), md);
    console.log(md);
    if (full.stored.loss !== 0 || half.stored.loss !== 0) process.exitCode = 1;
  } finally {
    await platform.close();
  }
}

main().catch((error: Error) => {
  console.error(`[bench] ${error.message}`);
  process.exit(1);
});
