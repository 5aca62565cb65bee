import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateDeviceRequest } from '@app/contracts';
import { CredentialsFile, findCredentials, readCredentials, writeCredentials, credentialsPath } from '../credentials';
import { DEFAULT_BACKOFF } from '../fleet/backoff';
import { FleetShard, type FleetShardOptions, type ShardSnapshot } from '../fleet/fleet-shard';
import type { ShardCommand } from '../fleet/fleet-process';
import type { FleetDevice } from '../fleet/lean-device';
import { fleetDeviceType } from '../fleet/mix';
import { LatencyHistogram, round } from '../stats';
import { adminClient, GlobalOptions, Reporter, shortId, sleep, stopSignal } from './common';
import { importDevices } from './load';

export interface FleetOptions extends GlobalOptions {
  devices: number;
  /** Seconds between two readings of a device. */
  interval: number;
  /** MQTT keep-alive, seconds (a PINGREQ every keep-alive period). */
  keepalive: number;
  qos: 0 | 1;
  /** First connections per second, the whole fleet together; 0 = all at once. */
  connectRate: number;
  connectTimeout: number;
  backoffMin: number;
  backoffMax: number;
  /** Source addresses: a comma list and/or ranges such as 127.0.0.2-127.0.0.40. */
  sourceAddresses?: string;
  /** Connections per source address when the addresses are chosen automatically. */
  perAddress: number;
  /** Child processes; 0 = as many as the open-file limit needs. */
  processes: number;
  /** Devices per community when provisioning. */
  perCommunity: number;
  credentialsOut?: string;
  fakeDevices: boolean;
}

export interface FleetProgress {
  elapsedS: number;
  devices: number;
  connected: number;
  connecting: number;
  waiting: number;
  connects: number;
  disconnects: number;
  connectsPerSec: number;
  published: number;
  publishedPerSec: number;
  acked: number;
  ackedPerSec: number;
  commands: number;
  errors: Record<string, number>;
  pubackMs: { p50: number | null; p99: number | null };
  generator: { processes: number; rssMiB: number; cpuCores: number };
}

export interface FleetSummary {
  devices: number;
  durationS: number;
  connects: number;
  disconnects: number;
  published: number;
  acked: number;
  commands: number;
  errors: Record<string, number>;
  /** Seconds from the start until every device was connected the first time. */
  allConnectedAfterS: number | null;
  /** Each time connections were lost and every device came back: when, how many were missing at worst, seconds to all connected again. */
  recoveries: Array<{ atS: number; fewestConnected: number; allBackAfterS: number | null }>;
  pubackMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  generator: { processes: number; peakRssMiB: number; cpuCoresAverage: number };
}

const LOOPBACK = /^(127\.|localhost$|::1$)/;

function ipv4ToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** "127.0.0.2-127.0.0.5,127.0.1.9" → the five addresses. */
export function parseSourceAddresses(spec: string): string[] {
  const out: string[] = [];
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [from, to] = part.split('-');
    if (to === undefined) {
      out.push(from);
      continue;
    }
    const a = ipv4ToInt(from);
    const b = ipv4ToInt(to);
    if (b < a || b - a > 65_535) throw new Error(`bad address range ${part}`);
    for (let n = a; n <= b; n++) out.push(intToIpv4(n));
  }
  return out;
}

/**
 * Where the fleet connects from. On loopback, 127.0.0.2 upwards with at most `perAddress`
 * connections each: every source address has its own ephemeral port range (about 28,000 ports
 * here), and a broker's per-address connection cap sees a spread like many sites' NAT gateways.
 */
export function sourceAddressesFor(host: string, devices: number, perAddress: number, spec?: string): string[] {
  if (spec) return parseSourceAddresses(spec);
  if (!LOOPBACK.test(host) || host.includes(':')) return [];
  const count = Math.max(1, Math.ceil(devices / perAddress));
  const first = ipv4ToInt('127.0.0.2');
  return Array.from({ length: count }, (_, i) => intToIpv4(first + i)).filter((ip) => !ip.endsWith('.255') && !ip.endsWith('.0'));
}

/** The soft limit on open files of this process (Linux), or undefined elsewhere. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/** File descriptors a shard process keeps for itself (stdio, IPC, the event loop). */
const FD_RESERVE = 200;

/** How many processes the fleet needs: each holds its connections under its open-file limit. */
export function processesFor(devices: number, requested: number, limit = openFileLimit()): number {
  const perProcess = Math.max(100, (limit ?? 65_536) - FD_RESERVE);
  return Math.max(requested, Math.ceil(devices / perProcess), 1);
}

/** Fleet devices from a credentials file, made up (plain broker), or provisioned with the bulk import. */
async function fleetDevices(opts: FleetOptions, reporter: Reporter): Promise<FleetDevice[]> {
  if (opts.credentials) {
    const creds = readCredentials(opts.credentials);
    if (creds.devices.length < opts.devices) reporter.warn(`${opts.credentials} holds ${creds.devices.length} devices, fewer than --devices ${opts.devices}`);
    return creds.devices.slice(0, opts.devices);
  }
  if (opts.fakeDevices) {
    return Array.from({ length: opts.devices }, (_, i) => ({ id: `fleet-${String(i + 1).padStart(6, '0')}`, secret: 'not-checked', ...fleetDeviceType(i) }));
  }
  const previous = opts.community ? undefined : findCredentials('fleet', opts.api, opts.dataDir);
  if (previous) {
    const creds = readCredentials(previous);
    if (creds.devices.length >= opts.devices) {
      reporter.info(`reusing ${opts.devices} of ${creds.devices.length} fleet devices from ${previous}`, { file: previous });
      return creds.devices.slice(0, opts.devices);
    }
  }
  const creds = await provisionFleet(opts, reporter);
  return creds.devices;
}

const STREETS = [
  { district: '浦东新区', street: '花木街道' },
  { district: '徐汇区', street: '天平路街道' },
  { district: '闵行区', street: '古美路街道' },
  { district: '静安区', street: '南京西路街道' },
];

/** Communities of `perCommunity` devices each, then every device through the bulk import. */
async function provisionFleet(opts: FleetOptions, reporter: Reporter): Promise<CredentialsFile> {
  const api = await adminClient(opts);
  const started = Date.now();
  const communityIds: string[] = [];
  if (opts.community) communityIds.push(opts.community);
  else {
    const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const count = Math.ceil(opts.devices / opts.perCommunity);
    for (let c = 0; c < count; c++) {
      const at = STREETS[c % STREETS.length];
      const community = await api.createCommunity({ name: `压测物业 ${stamp} 第${c + 1}小区`, ...at, buildings: [] });
      communityIds.push(community.id);
    }
    reporter.info(`created ${count} communities for the fleet`);
  }
  const prefix = `fl${shortId(communityIds[0])}`;
  const requests: CreateDeviceRequest[] = Array.from({ length: opts.devices }, (_, i) => {
    const type = fleetDeviceType(i);
    return {
      id: `${prefix}-${String(i + 1).padStart(6, '0')}`,
      communityId: communityIds[Math.floor(i / opts.perCommunity) % communityIds.length],
      kind: type.kind,
      ...(type.subtype ? { subtype: type.subtype } : {}),
      name: `${type.subtype ?? type.kind} ${i + 1}`,
    };
  });
  const devices = await importDevices(api, requests, reporter);
  const creds: CredentialsFile = { purpose: 'fleet', api: opts.api, communityId: communityIds[0], createdAt: new Date().toISOString(), devices };
  const file = opts.credentialsOut ?? credentialsPath(communityIds[0], opts.dataDir);
  writeCredentials(file, creds);
  const seconds = (Date.now() - started) / 1000;
  reporter.record('provisioned', { devices: devices.length, seconds: round(seconds, 1), file }, `provisioned ${devices.length} devices in ${seconds.toFixed(1)} s; credentials saved to ${file}`);
  return creds;
}

interface ShardHandle {
  latest: ShardSnapshot | undefined;
  /** Asks the shard for a snapshot (in-process) or returns the last one it sent. */
  poll(): void;
  stop(): Promise<void>;
}

/** Runs the fleet until the signal fires; reports progress every second and returns the summary. */
export async function runFleetShards(
  devices: FleetDevice[],
  shardOptions: FleetShardOptions,
  processes: number,
  signal: AbortSignal,
  onProgress: (p: FleetProgress) => void,
): Promise<FleetSummary> {
  const intervalHist = new LatencyHistogram();
  const totalHist = new LatencyHistogram();
  const take = (snapshot: ShardSnapshot) => {
    intervalHist.addSparse(snapshot.latency);
    totalHist.addSparse(snapshot.latency);
  };
  const per = Math.ceil(devices.length / processes);
  const handles: ShardHandle[] = [];
  for (let p = 0; p < processes; p++) {
    const slice = devices.slice(p * per, (p + 1) * per);
    if (slice.length === 0) continue;
    const options = { ...shardOptions, connectRatePerSec: shardOptions.connectRatePerSec / processes };
    handles.push(processes === 1 ? inProcessShard(slice, options, p * per, take) : childShard(slice, options, p * per, take));
  }

  const t0 = performance.now();
  const ownCpu0 = process.cpuUsage();
  let last = { t: t0, connects: 0, published: 0, acked: 0, cpuMicros: 0 };
  let allConnectedAt: number | null = null;
  let peakRss = 0;
  let cpuMicrosTotal = 0;
  const recoveries: FleetSummary['recoveries'] = [];
  let lost: { at: number; fewest: number } | undefined;

  const aggregate = () => {
    const sum = { connected: 0, connecting: 0, waiting: 0, connects: 0, disconnects: 0, published: 0, acked: 0, commands: 0, rssBytes: 0, cpuMicros: 0 };
    const errors: Record<string, number> = {};
    for (const h of handles) {
      const s = h.latest;
      if (!s) continue;
      for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += s[k];
      for (const [kind, n] of Object.entries(s.errors)) errors[kind] = (errors[kind] ?? 0) + n;
    }
    if (processes > 1) {
      const own = process.cpuUsage(ownCpu0);
      sum.cpuMicros += own.user + own.system;
      sum.rssBytes += process.memoryUsage.rss();
    }
    return { ...sum, errors };
  };

  const report = () => {
    for (const h of handles) h.poll();
    const now = performance.now();
    const a = aggregate();
    const dt = (now - last.t) / 1000;
    const cpuDelta = a.cpuMicros - last.cpuMicros;
    cpuMicrosTotal = a.cpuMicros;
    peakRss = Math.max(peakRss, a.rssBytes);
    const elapsedS = (now - t0) / 1000;
    if (a.connected === devices.length) {
      if (allConnectedAt === null) allConnectedAt = elapsedS;
      if (lost) {
        recoveries[recoveries.length - 1].allBackAfterS = round(elapsedS - lost.at, 1);
        lost = undefined;
      }
    } else if (allConnectedAt !== null) {
      if (!lost) {
        lost = { at: elapsedS, fewest: a.connected };
        recoveries.push({ atS: round(elapsedS, 1)!, fewestConnected: a.connected, allBackAfterS: null });
      }
      lost.fewest = Math.min(lost.fewest, a.connected);
      recoveries[recoveries.length - 1].fewestConnected = lost.fewest;
    }
    onProgress({
      elapsedS: Math.round(elapsedS),
      devices: devices.length,
      connected: a.connected,
      connecting: a.connecting,
      waiting: a.waiting,
      connects: a.connects,
      disconnects: a.disconnects,
      connectsPerSec: Math.round((a.connects - last.connects) / dt),
      published: a.published,
      publishedPerSec: Math.round((a.published - last.published) / dt),
      acked: a.acked,
      ackedPerSec: Math.round((a.acked - last.acked) / dt),
      commands: a.commands,
      errors: a.errors,
      pubackMs: { p50: round(intervalHist.quantile(0.5)), p99: round(intervalHist.quantile(0.99)) },
      generator: { processes: handles.length, rssMiB: Math.round(a.rssBytes / 2 ** 20), cpuCores: round(cpuDelta / 1e6 / dt) ?? 0 },
    });
    intervalHist.reset();
    last = { t: now, connects: a.connects, published: a.published, acked: a.acked, cpuMicros: a.cpuMicros };
  };

  const progress = setInterval(report, 1000);
  await sleep(2 ** 31 - 1, signal);
  clearInterval(progress);
  await Promise.all(handles.map((h) => h.stop()));
  const durationS = (performance.now() - t0) / 1000;
  const a = aggregate();
  return {
    devices: devices.length,
    durationS: round(durationS, 1)!,
    connects: a.connects,
    disconnects: a.disconnects,
    published: a.published,
    acked: a.acked,
    commands: a.commands,
    errors: a.errors,
    allConnectedAfterS: allConnectedAt === null ? null : round(allConnectedAt, 1),
    recoveries,
    pubackMs: { p50: round(totalHist.quantile(0.5)), p90: round(totalHist.quantile(0.9)), p99: round(totalHist.quantile(0.99)), max: round(totalHist.count ? totalHist.max : null) },
    generator: { processes: handles.length, peakRssMiB: Math.round(peakRss / 2 ** 20), cpuCoresAverage: round(cpuMicrosTotal / 1e6 / durationS) ?? 0 },
  };
}

function inProcessShard(devices: FleetDevice[], options: FleetShardOptions, firstIndex: number, take: (s: ShardSnapshot) => void): ShardHandle {
  const shard = new FleetShard(devices, options, firstIndex);
  const cpu0 = process.cpuUsage();
  const handle: ShardHandle = {
    latest: undefined,
    poll: () => {
      const s = shard.snapshot();
      const cpu = process.cpuUsage(cpu0);
      handle.latest = { ...s, cpuMicros: cpu.user + cpu.system };
      take(s);
    },
    stop: () => shard.stop(),
  };
  shard.start();
  return handle;
}

function childShard(devices: FleetDevice[], options: FleetShardOptions, firstIndex: number, take: (s: ShardSnapshot) => void): ShardHandle {
  const child: ChildProcess = fork(join(__dirname, '..', 'fleet', 'fleet-process.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handle: ShardHandle = {
    latest: undefined,
    poll: () => undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send({ type: 'stop' } satisfies ShardCommand);
        setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
      }),
  };
  child.on('message', (m: { type: string; snapshot?: ShardSnapshot }) => {
    if (!m.snapshot) return;
    handle.latest = m.snapshot;
    take(m.snapshot);
  });
  child.send({ type: 'start', devices, options, firstIndex } satisfies ShardCommand);
  return handle;
}

function humanProgress(p: FleetProgress): string {
  const errors = Object.entries(p.errors)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return (
    `[fleet ${p.elapsedS}s] connected ${p.connected}/${p.devices} (connecting ${p.connecting}, waiting ${p.waiting}) · +${p.connectsPerSec} conn/s · ` +
    `pub ${p.publishedPerSec}/s acked ${p.ackedPerSec}/s · PUBACK p50 ${p.pubackMs.p50 ?? '-'} ms p99 ${p.pubackMs.p99 ?? '-'} ms · ` +
    `errors ${errors || 'none'} · generator ${p.generator.processes} proc ${p.generator.rssMiB} MiB ${p.generator.cpuCores} cores`
  );
}

export async function runFleet(opts: FleetOptions): Promise<FleetSummary> {
  const reporter = new Reporter(!!opts.json);
  const url = new URL(opts.mqtt);
  if (url.protocol !== 'mqtt:' && url.protocol !== 'tcp:') throw new Error(`the fleet speaks MQTT over plain TCP (mqtt://), not ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 1883);
  const devices = await fleetDevices(opts, reporter);
  const sourceAddresses = sourceAddressesFor(host, devices.length, opts.perAddress, opts.sourceAddresses);
  const limit = openFileLimit();
  const processes = processesFor(devices.length, opts.processes, limit);
  const shardOptions: FleetShardOptions = {
    host,
    port,
    protocolVersion: opts.protocol,
    keepaliveS: opts.keepalive,
    publishIntervalMs: opts.interval * 1000,
    qos: opts.qos,
    connectTimeoutMs: opts.connectTimeout * 1000,
    ackTimeoutMs: Math.max(30_000, opts.interval * 2000),
    backoff: { minMs: opts.backoffMin * 1000 || DEFAULT_BACKOFF.minMs, maxMs: opts.backoffMax * 1000 || DEFAULT_BACKOFF.maxMs },
    connectRatePerSec: opts.connectRate,
    sourceAddresses,
    seed: opts.seed ?? Date.now() % 1_000_000,
  };
  reporter.record(
    'start',
    { devices: devices.length, processes, openFileLimit: limit ?? null, sourceAddresses: sourceAddresses.length, broker: `${host}:${port}`, intervalS: opts.interval, keepaliveS: opts.keepalive },
    `fleet: ${devices.length} devices → ${host}:${port} from ${sourceAddresses.length || 'the default'} source address(es) in ${processes} process(es) ` +
      `(open-file limit ${limit ?? 'unknown'}); a reading every ${opts.interval} s, keep-alive ${opts.keepalive} s, QoS ${opts.qos}`,
  );
  const summary = await runFleetShards(devices, shardOptions, processes, stopSignal(opts.duration), (p) => reporter.record('progress', { ...p }, humanProgress(p)));
  reporter.record(
    'summary',
    { ...summary },
    `summary: ${summary.devices} devices, ${summary.connects} connects (all connected after ${summary.allConnectedAfterS ?? '-'} s), ${summary.disconnects} disconnects, ` +
      `${summary.published} published, ${summary.acked} acked; PUBACK p50 ${summary.pubackMs.p50 ?? '-'} ms p99 ${summary.pubackMs.p99 ?? '-'} ms; ` +
      `errors ${JSON.stringify(summary.errors)}; generator peak ${summary.generator.peakRssMiB} MiB, ${summary.generator.cpuCoresAverage} cores on average`,
  );
  return summary;
}
