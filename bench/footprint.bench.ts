import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { machineInfo, resultsDir, startBenchPlatform, type BenchPlatform } from './support';

/**
 * Idle footprint benchmark (issue 11): starts the built platform with its embedded defaults
 * (aedes broker, PGlite) on a new DATA_DIR, waits until it has settled, and splits its resident
 * memory; then stops it and starts it again on the same DATA_DIR (PGlite's initdb is skipped) and
 * does the same. The split:
 *   - PGlite's WebAssembly memory: its size (spp_pglite_wasm_memory_bytes) and the resident part
 *     (the anonymous mapping of that size in /proc/PID/smaps);
 *   - the V8 JavaScript heap (spp_nodejs_heap_size_total_bytes; Nest, aedes, socket.io, caches);
 *   - files mapped (the node binary and its libraries);
 *   - other native memory: the rest (compiled WebAssembly code, malloc arenas, buffers).
 * Peak = VmHWM, the most the process held at once (PGlite's initdb and the migrations). After the
 * restart's idle reading, a database round (`--writes` communities created and listed through the
 * REST API, 50 requests at a time) shows what PGlite's memory becomes under use.
 * Writes bench/results/footprint-latest.{json,md}; `--name before` writes footprint-before.*.
 * `--env KEY=VALUE` (repeatable) starts the platform with other settings, e.g. PGLITE_SHARED_BUFFERS=128MB;
 * `--node-arg ARG` (repeatable) gives node an option, e.g. --max-semi-space-size=1.
 */

interface Options {
  settle: number;
  env: string[];
  nodeArg: string[];
  writes: number;
  name: string;
  redisUrl: string;
  influxUrl: string;
  out: string;
}

const MiB = 2 ** 20;
const TARGET = { idleRssMiB: 300, loadRssMiB: 600 };
const mib = (bytes: number) => Math.round(bytes / MiB);

interface Footprint {
  rssMiB: number;
  peakRssMiB: number;
  pgliteWasmMiB: number;
  pgliteWasmResidentMiB: number;
  jsHeapMiB: number;
  jsHeapUsedMiB: number;
  externalMiB: number;
  filesMiB: number;
  otherNativeMiB: number;
}

/** Resident kB of each mapping of /proc/PID/smaps: its size in bytes, whether a file backs it. */
function mappings(pid: number): Array<{ bytes: number; file: boolean; rssKb: number }> {
  const rows: Array<{ bytes: number; file: boolean; rssKb: number }> = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      rows.push({ bytes: parseInt(head[2], 16) - parseInt(head[1], 16), file: head[3].startsWith('/'), rssKb: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && rows.length > 0) rows[rows.length - 1].rssKb = Number(rss[1]);
  }
  return rows;
}

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function metrics(httpUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+) (\S+)$/.exec(line);
    if (m) values.set(m[1], Number(m[2]));
  }
  return values;
}

async function footprint(platform: BenchPlatform): Promise<Footprint> {
  const pid = platform.process.pid!;
  const m = await metrics(platform.httpUrl);
  const wasmBytes = m.get('spp_pglite_wasm_memory_bytes') ?? 0;
  const maps = mappings(pid);
  // V8 maps a WebAssembly memory as one anonymous region of exactly its size.
  const wasmKb = wasmBytes > 0 ? maps.filter((r) => !r.file && r.bytes === wasmBytes).reduce((a, r) => Math.max(a, r.rssKb), 0) : 0;
  const filesKb = maps.filter((r) => r.file).reduce((a, r) => a + r.rssKb, 0);
  const rss = status(pid, 'VmRSS');
  const jsHeap = m.get('spp_nodejs_heap_size_total_bytes') ?? NaN;
  return {
    rssMiB: mib(rss),
    peakRssMiB: mib(status(pid, 'VmHWM')),
    pgliteWasmMiB: mib(wasmBytes),
    pgliteWasmResidentMiB: mib(wasmKb * 1024),
    jsHeapMiB: mib(jsHeap),
    jsHeapUsedMiB: mib(m.get('spp_nodejs_heap_size_used_bytes') ?? NaN),
    externalMiB: mib(m.get('spp_nodejs_external_memory_bytes') ?? NaN),
    filesMiB: mib(filesKb * 1024),
    otherNativeMiB: mib(rss - wasmKb * 1024 - jsHeap - filesKb * 1024),
  };
}

/** `writes` communities (a building of two units each) created, then listed, through the REST API, 50 requests at a time. */
async function databaseRound(platform: BenchPlatform, writes: number): Promise<{ seconds: number }> {
  const login = await fetch(`${platform.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: platform.adminPassword }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` };
  const started = Date.now();
  const requests = Array.from({ length: writes * 2 }, (_, i) => i);
  const worker = async () => {
    for (let i = requests.shift(); i !== undefined; i = requests.shift()) {
      const res =
        i < writes
          ? await fetch(`${platform.httpUrl}/api/v1/communities`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ name: `Footprint ${i}`, district: 'Jing_an', street: 'Nanjing West', address: `${i} Bench Road`, buildings: [{ name: 'B1', floors: 18, units: [{ number: '101', floorArea: '89.50' }, { number: '102', floorArea: '120' }] }] }),
            })
          : await fetch(`${platform.httpUrl}/api/v1/communities`, { headers });
      if (!res.ok) throw new Error(`database round: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  return { seconds: Number(((Date.now() - started) / 1000).toFixed(1)) };
}

async function measure(label: string, o: Options, extraEnv: Record<string, string>, writes = 0): Promise<{ idle: Footprint; afterDatabaseRound?: Footprint & { seconds: number } }> {
  const platform = await startBenchPlatform('footprint-bench', o, extraEnv, o.nodeArg);
  try {
    // Start-up work (InfluxDB set-up, sweeps, first timers) settles; the idle reading follows.
    await new Promise((r) => setTimeout(r, o.settle * 1000));
    const idle = await footprint(platform);
    console.error(`[footprint-bench] ${label}: ${JSON.stringify(idle)}`);
    if (writes === 0) return { idle };
    const { seconds } = await databaseRound(platform, writes);
    const afterDatabaseRound = { ...(await footprint(platform)), seconds };
    console.error(`[footprint-bench] ${label}, after ${writes} communities written and listed: ${JSON.stringify(afterDatabaseRound)}`);
    return { idle, afterDatabaseRound };
  } finally {
    await platform.close();
  }
}

async function main(): Promise<void> {
  const o = new Command('footprint')
    .option('--settle <s>', 'seconds between /health answering and the idle reading', (v) => Number(v), 10)
    .option('--env <KEY=VALUE>', 'an extra platform variable (repeatable)', (v, all: string[]) => [...all, v], [] as string[])
    .option('--node-arg <arg>', 'an option for node before the entry point (repeatable)', (v, all: string[]) => [...all, v], [] as string[])
    .option('--writes <n>', 'communities written and lists read in the database round after the restart (0 skips it)', (v) => Number(v), 1000)
    .option('--name <name>', 'results file name: footprint-<name>.{json,md}', 'latest')
    .option('--redis-url <url>', 'Redis to use (a database of its own is selected)', 'redis://127.0.0.1:6379')
    .option('--influx-url <url>', 'InfluxDB base URL', 'http://127.0.0.1:8086')
    .option('--out <dir>', 'results folder', resultsDir)
    .parse()
    .opts<Options>();
  const settings = Object.fromEntries(o.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const dataDir = mkdtempSync(join(tmpdir(), 'spp-footprint-'));
  try {
    const extraEnv = { ...settings, DATA_DIR: dataDir };
    const first = (await measure('first start (initdb, migrations)', o, extraEnv)).idle;
    const { idle: restart, afterDatabaseRound } = await measure('restart on the same DATA_DIR', o, extraEnv, o.writes);
    const result = { benchmark: 'footprint', at: new Date().toISOString(), machine: machineInfo(), settleS: o.settle, settings, nodeArgs: o.nodeArg, firstStart: first, restart, afterDatabaseRound };
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, `footprint-${o.name}.json`), JSON.stringify(result, null, 2) + '\n');
    const row = (what: string, f: Footprint, target = TARGET.idleRssMiB) =>
      `| ${what} | ${f.rssMiB} MiB (≤ ${target}: ${f.rssMiB <= target ? 'met' : '**not met**'}) | ${f.peakRssMiB} MiB | ${f.pgliteWasmResidentMiB} of ${f.pgliteWasmMiB} MiB | ${f.jsHeapMiB} MiB (${f.jsHeapUsedMiB} used) | ${f.otherNativeMiB} MiB | ${f.filesMiB} MiB | ${f.externalMiB} MiB |`;
    const md = [
      `# Idle footprint (${result.at})`,
      '',
      `${result.machine.cpus} cores (${result.machine.cpuModel}), 1-min load average ${loadavg()[0].toFixed(1)}; one platform process with its embedded defaults (aedes broker, PGlite under DATA_DIR), Redis and InfluxDB on the same machine; read ${o.settle} s after /health answered, with no devices and no clients.${o.env.length + o.nodeArg.length > 0 ? ` Settings: ${[...o.env, ...o.nodeArg].join(', ')}.` : ''}`,
      '',
      '| start | RSS (target idle ≤ 300 MiB, in use ≤ 600 MiB) | peak RSS (VmHWM) | PGlite WebAssembly memory, resident of size | V8 heap | other native (wasm code, malloc) | files mapped | node "external" (incl. wasm memory) |',
      '|---|---|---|---|---|---|---|---|',
      row('first (initdb, migrations)', first),
      row('restart (same DATA_DIR)', restart),
      ...(afterDatabaseRound ? [row(`restart, then ${o.writes} communities written and ${o.writes} lists read (${afterDatabaseRound.seconds} s)`, afterDatabaseRound, TARGET.loadRssMiB)] : []),
      '',
      'RSS = VmRSS of /proc/PID/status; PGlite resident = Rss of the anonymous mapping of exactly the WebAssembly memory size (/proc/PID/smaps); V8 heap = spp_nodejs_heap_size_total_bytes; files = file-backed Rss; other native = RSS − the three. Under ingestion load: bench/results/ingest-latest.md (platform peak RSS, full load); per setting tried: bench/results/footprint-settings.md.',
      '',
    ].join('\n');
    writeFileSync(join(o.out, `footprint-${o.name}.md`), md);
    console.log(md);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`[footprint-bench] ${error.message}`);
  process.exit(1);
});
