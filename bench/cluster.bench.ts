import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { Client } from 'pg';
import { type BenchPlatform, freePort, loadSummary, machineInfo, processUsage, resultsDir, runSim, startBenchPlatform, waitFor } from './support';

/**
 * Several processes as one platform (issue 10 §2), measured: 1, 2 and 3 platform processes with
 * their embedded brokers clustered through Redis (MQTT_CLUSTER=redis), one PostgreSQL database,
 * one InfluxDB database, behind HAProxy (TCP, round robin) as users deploy them (deploy/). The
 * same load each time through HAProxy (the simulator's load mode: N connections, at most --window
 * unacknowledged QoS 1 publishes each): stored rate, loss, PUBACK latency, CPU per stored message
 * summed over the processes, RSS. On a 2-core machine that also runs the load generator, Redis,
 * PostgreSQL and InfluxDB, more processes cannot add cores: the figures show what the cluster
 * costs per message and that nothing is lost, not a speed-up.
 * Writes bench/results/cluster-latest.{json,md}. Needs PostgreSQL (--database-url) and HAProxy.
 */

interface Options {
  processes: string;
  duration: number;
  devices: number;
  window: number;
  databaseUrl: string;
  redisUrl: string;
  influxUrl: string;
  out: string;
}

const MiB = 2 ** 20;
const HAPROXY = '/usr/sbin/haproxy';
const SHARED = { JWT_SECRET: 'cluster-bench-jwt-secret-'.padEnd(48, 'x'), DEVICE_SECRET_KEY: 'cluster-bench-device-secret-key-'.padEnd(48, 'k') };

function log(message: string): void {
  console.error(`[cluster-bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

async function influxCount(influxUrl: string, db: string): Promise<number> {
  const res = await fetch(`${influxUrl}/query?db=${db}&q=${encodeURIComponent('SELECT count("mode") FROM "raw"."elevator"')}`);
  const body = (await res.json()) as { results: Array<{ series?: Array<{ values: Array<[string, number]> }> }> };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

/** HAProxy in front of the processes' MQTT listeners, as deploy/ does it (TCP, round robin, health checks). */
async function startHaproxy(dir: string, mqttPorts: number[]): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 4000',
      'defaults',
      '  mode tcp',
      '  timeout connect 2s',
      '  timeout client 5m',
      '  timeout server 5m',
      'frontend mqtt',
      `  bind 127.0.0.1:${port}`,
      '  default_backend platform',
      'backend platform',
      '  balance roundrobin',
      ...mqttPorts.map((p, i) => `  server p${i} 127.0.0.1:${p} check inter 500`),
      '',
    ].join('\n'),
  );
  const child = spawn(HAPROXY, ['-db', '-f', config], { stdio: 'ignore' });
  process.on('exit', () => child.exitCode === null && child.kill());
  return { url: `mqtt://127.0.0.1:${port}`, child };
}

async function withDatabase<T>(adminUrl: string, name: string, run: (url: string) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    return await run(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

async function round(o: Options, count: number) {
  const stamp = Date.now();
  const influxDb = `cluster_bench_${count}_${stamp}`;
  const influxBase = o.influxUrl.replace(/\/$/, '');
  return withDatabase(o.databaseUrl, `spp_cluster_bench_${count}_${stamp}`, async (databaseUrl) => {
    const env = {
      ...SHARED,
      DATABASE_URL: databaseUrl,
      MQTT_CLUSTER: 'redis',
      REDIS_PREFIX: `clusterbench${count}${stamp}`,
      INFLUX_URL: `${influxBase}/${influxDb}`,
    };
    const dir = mkdtempSync(join(tmpdir(), 'spp-cluster-bench-'));
    const platforms: BenchPlatform[] = [];
    let haproxy: ChildProcess | undefined;
    try {
      // One after the other: the first creates the schema and the administrator.
      for (let i = 0; i < count; i++) platforms.push(await startBenchPlatform(`cluster${count}p${i}`, o, env));
      const lb = await startHaproxy(dir, platforms.map((p) => Number(new URL(p.mqttUrl).port)));
      haproxy = lb.child;
      const first = platforms[0];
      const creds = join(dir, 'devices.json');
      const common = ['--api', first.httpUrl, '--mqtt', lb.url, '--username', 'admin', '--password', first.adminPassword, '--data-dir', dir];
      await runSim([...common, 'provision', '--devices', o.devices, '--kind', 'elevator', '--credentials-out', creds].map(String));
      const pids = platforms.map((p) => p.process.pid!);
      const before = pids.map(processUsage);
      let peakRss = 0;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, ...pids.map((pid) => processUsage(pid).rssBytes))), 500);
      const output = await runSim(
        [...common, '--credentials', creds, '--json', '--duration', o.duration, 'load', '--rate', 200000, '--qos', 1, '--window', o.window, '--kind', 'elevator', '--devices', o.devices].map(String),
      );
      const exitedAt = Date.now();
      const load = loadSummary(output);
      const stored = await waitFor('InfluxDB to hold every acknowledged reading', 180_000, async () => {
        const n = await influxCount(influxBase, influxDb);
        return n >= load.acked ? n : undefined;
      }).catch(() => influxCount(influxBase, influxDb));
      const doneAt = Date.now();
      clearInterval(sampler);
      const cpuSeconds = pids.map(processUsage).reduce((sum, u, i) => sum + u.cpuSeconds - before[i].cpuSeconds, 0);
      const seconds = (load.durationMs + (doneAt - exitedAt)) / 1000;
      return {
        processes: count,
        acked: load.acked,
        stored,
        loss: load.acked - stored,
        storedPerSec: Math.round(stored / seconds),
        pubackMs: load.latencyMs,
        cpuUsPerMessage: stored > 0 ? Number(((cpuSeconds * 1e6) / stored).toFixed(1)) : NaN,
        cpuCores: Number((cpuSeconds / seconds).toFixed(2)),
        peakRssMiBPerProcess: Math.round(peakRss / MiB),
        loadAverage: Number(loadavg()[0].toFixed(1)),
      };
    } finally {
      haproxy?.kill();
      for (const p of platforms.reverse()) await p.close();
      await fetch(`${influxBase}/query?q=${encodeURIComponent(`DROP DATABASE "${influxDb}"`)}`, { method: 'POST' }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

async function main(): Promise<void> {
  const o = new Command('cluster-bench')
    .option('--processes <list>', 'cluster sizes to measure, comma list', '1,2,3')
    .option('--duration <s>', 'seconds of load per round', '20')
    .option('--devices <n>', 'device connections', '100')
    .option('--window <n>', 'unacknowledged QoS 1 publishes per connection at most', '10')
    .option('--database-url <url>', 'PostgreSQL server (a database of its own is created per round)', 'postgres://postgres@127.0.0.1:5432/postgres')
    .option('--redis-url <url>', 'Redis to use', 'redis://127.0.0.1:6379')
    .option('--influx-url <url>', 'InfluxDB base URL', 'http://127.0.0.1:8086')
    .option('--out <dir>', 'results folder', resultsDir)
    .parse()
    .opts<Options>();
  const sizes = o.processes.split(',').map(Number);
  const rows = [];
  for (const count of sizes) {
    log(`${count} process(es) behind HAProxy: ${o.devices} connections, ≤ ${o.window} unacknowledged QoS 1 each, ${o.duration} s`);
    const row = await round(o, count);
    log(JSON.stringify(row));
    rows.push(row);
  }
  const result = { benchmark: 'cluster', at: new Date().toISOString(), machine: machineInfo(), setup: { devices: Number(o.devices), window: Number(o.window), durationS: Number(o.duration) }, rows };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'cluster-latest.json'), JSON.stringify(result, null, 2) + '\n');
  const base = rows[0];
  const md = [
    `# Cluster benchmark (${result.at})`,
    '',
    `${result.machine.cpus} cores (${result.machine.cpuModel}); platform processes with embedded brokers clustered through Redis, one PostgreSQL, one InfluxDB, HAProxy (TCP, round robin) in front; one load generator: ${o.devices} connections, ≤ ${o.window} unacknowledged QoS 1 publishes each, elevator readings, ${o.duration} s per round. Everything on this machine: with 2 cores, more processes add no cores, so read the CPU per message and the loss, not a speed-up.`,
    '',
    '| processes | acknowledged | stored | lost | stored msg/s (vs 1) | PUBACK p50 / p99 | CPU µs per message (all processes) | cores used | peak RSS per process | load average |',
    '|---:|---:|---:|---:|---|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.processes} | ${r.acked} | ${r.stored} | ${r.loss} | ${r.storedPerSec} (${(r.storedPerSec / base.storedPerSec).toFixed(2)}×) | ${r.pubackMs.p50} / ${r.pubackMs.p99} ms | ${r.cpuUsPerMessage} | ${r.cpuCores} | ${r.peakRssMiBPerProcess} MiB | ${r.loadAverage} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(join(o.out, 'cluster-latest.md'), md);
  console.log(md);
  if (rows.some((r) => r.loss !== 0)) process.exitCode = 1;
}

main().catch((error: Error) => {
  console.error(`[cluster-bench] ${error.message}`);
  process.exit(1);
});
