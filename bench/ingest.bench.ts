import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { machineInfo, resultsDir, simMain, startBenchPlatform, waitFor } from './support';

/**
 * Ingestion benchmark: starts the built platform as its own process (embedded broker, PGlite,
 * the Redis and InfluxDB at REDIS_URL / INFLUX_URL with a database of its own), provisions
 * devices with the simulator, drives the simulator's load mode at QoS 1 and checks that every
 * acknowledged message is stored in InfluxDB. Writes bench/results/ingest-latest.{json,md}.
 */

interface Options {
  rate: number;
  duration: number;
  devices: number;
  qos: string;
  redisUrl: string;
  influxUrl: string;
  out: string;
}

interface LoadSummary {
  sent: number;
  acked: number;
  errors: number;
  durationMs: number;
  ratePerSec: number;
  latencyMs: { p50: number; p99: number; max?: number };
}


/** CPU seconds (user+system) and resident memory of a process, from /proc. */
function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuSeconds: ticks / 100, rssBytes: rssPages * 4096 };
}


function runSim(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [simMain, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      for (const line of lines.slice(0, -1)) if (line.includes('"type":"progress"')) process.stderr.write(`  ${summariseProgress(line)}\n`);
      out = lines.slice(-1)[0] === '' ? out : out;
    });
    child.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`simulator exited with ${code}`))));
  });
}

function summariseProgress(line: string): string {
  try {
    const p = JSON.parse(line) as Record<string, unknown>;
    return `sim: ${JSON.stringify({ achieved: p.achieved ?? p.ratePerSec, acked: p.acked, errors: p.errors })}`;
  } catch {
    return line;
  }
}

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

async function main(): Promise<void> {
  const program = new Command('bench')
    .option('--rate <n>', 'target messages per second, all devices together', '45000')
    .option('--duration <s>', 'seconds of load', '30')
    .option('--devices <n>', 'device connections', '100')
    .option('--qos <q>', 'MQTT QoS of telemetry', '1')
    .option('--redis-url <url>', 'Redis to use (a database of its own is selected)', 'redis://127.0.0.1:6379')
    .option('--influx-url <url>', 'InfluxDB base URL', 'http://127.0.0.1:8086')
    .option('--out <dir>', 'results folder', resultsDir)
    .parse();
  const o = program.opts<Options>();
  const platform = await startBenchPlatform('ingest-bench', o);
  const { httpUrl, mqttUrl, adminPassword, dataDir, influxDb } = platform;
  try {
    const creds = join(dataDir, 'bench-devices.json');
    const common = ['--api', httpUrl, '--mqtt', mqttUrl, '--username', 'admin', '--password', adminPassword, '--data-dir', dataDir];
    console.error(`[bench] provisioning ${o.devices} devices`);
    await runSim([...common, 'provision', '--devices', o.devices, '--credentials-out', creds].map(String));

    const pid = platform.process.pid!;
    const before = processUsage(pid);
    let peakRss = before.rssBytes;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, processUsage(pid).rssBytes)), 500);
    console.error(`[bench] load: ${o.rate} msg/s at QoS ${o.qos} for ${o.duration} s from ${o.devices} connections`);
    const started = Date.now();
    const output = await runSim([...common, '--credentials', creds, '--json', '--duration', o.duration, 'load', '--rate', o.rate, '--qos', o.qos].map(String));
    const summaryLine = output.split('\n').reverse().find((l) => l.includes('"type":"summary"'));
    if (!summaryLine) throw new Error('the simulator printed no summary');
    const load = JSON.parse(summaryLine) as LoadSummary;
    const stored = await waitFor('InfluxDB to hold every point', 120_000, async () => {
      const pending = await metric(httpUrl, 'spp_influx_points_pending');
      if (pending !== 0) return undefined;
      const count = await influxCount(o.influxUrl, influxDb);
      return count >= load.acked ? count : undefined;
    }).catch(() => influxCount(o.influxUrl, influxDb));
    const storedSeconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const after = processUsage(pid);
    const rejected = await metric(httpUrl, 'spp_ingest_rejected_total');
    const result = {
      benchmark: 'ingestion',
      at: new Date().toISOString(),
      machine: machineInfo(),
      setup: { devices: o.devices, qos: Number(o.qos), targetRate: Number(o.rate), durationS: Number(o.duration), broker: 'embedded aedes', database: 'PGlite' },
      published: { messages: load.sent, acked: load.acked, errors: load.errors, ratePerSec: Math.round(load.ratePerSec), pubackLatencyMs: load.latencyMs },
      stored: { points: stored, ratePerSec: Math.round(stored / storedSeconds), loss: load.acked - stored, rejected: Number.isNaN(rejected) ? 0 : rejected },
      platform: { cpuCoresAverage: Number(((after.cpuSeconds - before.cpuSeconds) / storedSeconds).toFixed(2)), peakRssMiB: Math.round(peakRss / 2 ** 20) },
    };
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'ingest-latest.json'), JSON.stringify(result, null, 2) + '\n');
    const md = [
      `# Ingestion benchmark (${result.at})`,
      '',
      `${result.machine.cpus} cores (${result.machine.cpuModel}), ${result.setup.devices} device connections, QoS ${result.setup.qos}, target ${result.setup.targetRate} msg/s for ${result.setup.durationS} s, ${result.setup.broker}, ${result.setup.database}; simulator, platform, Redis and InfluxDB on the same machine.`,
      '',
      '| figure | value |',
      '|---|---|',
      `| published (acknowledged) | ${result.published.acked} messages, ${result.published.ratePerSec} msg/s |`,
      `| PUBACK latency p50 / p99 | ${result.published.pubackLatencyMs.p50} ms / ${result.published.pubackLatencyMs.p99} ms |`,
      `| stored in InfluxDB | ${result.stored.points} points, ${result.stored.ratePerSec} points/s end to end |`,
      `| loss (acknowledged − stored) | ${result.stored.loss} |`,
      `| rejected by validation | ${result.stored.rejected} |`,
      `| platform CPU (average) | ${result.platform.cpuCoresAverage} cores |`,
      `| platform peak memory (RSS) | ${result.platform.peakRssMiB} MiB |`,
      '',
    ].join('\n');
    writeFileSync(join(o.out, 'ingest-latest.md'), md);
    console.log(md);
    if (result.stored.loss !== 0) process.exitCode = 1;
  } finally {
    await platform.close();
  }
}

main().catch((error: Error) => {
  console.error(`[bench] ${error.message}`);
  process.exit(1);
});
