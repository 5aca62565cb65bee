import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import type { CreateDeviceRequest, DeviceKind, FireSubtype } from '@app/contracts';
import { credentialsPath, CredentialsFile, DeviceCredential, findCredentials, readCredentials, writeCredentials } from '../credentials';
import { DeviceConnection } from '../device-connection';
import { LatencyHistogram, round } from '../stats';
import { ApiError, mapLimit, type PlatformClient } from '../rest-client';
import { adminClient, GlobalOptions, Reporter, shortId, sleep, stopSignal } from './common';

export interface LoadOptions extends GlobalOptions {
  devices: number;
  rate: number;
  qos: 0 | 1;
  /** Maximum unacknowledged QoS 1 publishes per connection. */
  window: number;
  kind: 'mix' | DeviceKind;
  credentialsOut?: string;
  /** Made-up device ids, no REST provisioning (for a plain broker such as Mosquitto). */
  fakeDevices?: boolean;
  connectConcurrency: number;
}

export interface ProvisionOptions extends GlobalOptions {
  devices: number;
  kind: 'mix' | DeviceKind;
  credentialsOut?: string;
}

const LOAD_KINDS: DeviceKind[] = ['elevator', 'fire', 'gate'];
const LOAD_FIRE_SUBTYPE: FireSubtype = 'hydrant_pressure';

function kindFor(kind: 'mix' | DeviceKind, i: number): DeviceKind {
  return kind === 'mix' ? LOAD_KINDS[i % LOAD_KINDS.length] : kind;
}

/** Provisions `devices` load devices (or reuses a large enough earlier set) and saves their secrets. */
export async function provisionLoadDevices(opts: ProvisionOptions, reporter: Reporter): Promise<{ file: string; creds: CredentialsFile }> {
  const previous = opts.community ? undefined : findCredentials('load', opts.api, opts.dataDir);
  if (previous) {
    const creds = readCredentials(previous);
    if (creds.devices.length >= opts.devices && (opts.kind === 'mix' || creds.devices.every((d) => d.kind === opts.kind))) {
      reporter.info(`reusing ${opts.devices} of ${creds.devices.length} load devices from ${previous}`, { file: previous });
      if (opts.credentialsOut && opts.credentialsOut !== previous) writeCredentials(opts.credentialsOut, { ...creds, devices: creds.devices.slice(0, opts.devices) });
      return { file: previous, creds: { ...creds, devices: creds.devices.slice(0, opts.devices) } };
    }
  }
  const api = await adminClient(opts);
  let communityId = opts.community;
  if (!communityId) {
    const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const community = await api.createCommunity({ name: `压测小区 ${stamp}`, district: '某区', street: '某街道', buildings: [] });
    communityId = community.id;
    reporter.info(`created load-test community ${community.name} (${communityId})`, { communityId });
  }
  const prefix = shortId(communityId);
  const started = Date.now();
  const requests = Array.from({ length: opts.devices }, (_, i) => {
    const kind = kindFor(opts.kind, i);
    return {
      id: `${prefix}-load-${String(i + 1).padStart(5, '0')}`,
      communityId: communityId!,
      kind,
      name: `压测设备 ${i + 1}`,
      location: `load ${i + 1}`,
      ...(kind === 'fire' ? { subtype: LOAD_FIRE_SUBTYPE } : {}),
    };
  });
  const devices = await importDevices(api, requests, reporter);
  const creds: CredentialsFile = { purpose: 'load', api: opts.api, communityId, createdAt: new Date().toISOString(), devices };
  const file = opts.credentialsOut ?? credentialsPath(communityId, opts.dataDir);
  writeCredentials(file, creds);
  reporter.info(`provisioned ${devices.length} devices in ${Date.now() - started} ms; credentials saved to ${file}`, { file, communityId });
  return { file, creds };
}

/** Rows per import request: a few thousand secrets to hash keeps each request well under a minute or two. */
const IMPORT_CHUNK = 5000;

/**
 * Provisions devices through the platform's bulk import, a chunk per request. Ids already
 * registered (an earlier run with the same --community) get a new secret instead; any other
 * rejected row stops the run with the platform's reasons.
 */
export async function importDevices(api: PlatformClient, requests: CreateDeviceRequest[], reporter: Reporter): Promise<DeviceCredential[]> {
  const out: DeviceCredential[] = [];
  for (let start = 0; start < requests.length; start += IMPORT_CHUNK) {
    const chunk = requests.slice(start, start + IMPORT_CHUNK);
    const result = await api.importDevices(chunk);
    const taken = result.rejected.filter((r) => r.id && r.reason.startsWith('duplicate: device id') && r.reason.endsWith('is taken'));
    const other = result.rejected.filter((r) => !taken.includes(r));
    if (other.length > 0) {
      throw new Error(`import refused ${other.length} rows, e.g. ${other.slice(0, 3).map((r) => `row ${start + r.row}: ${r.reason}`).join('; ')}`);
    }
    const rotated = await mapLimit(taken, 16, async (r) => {
      try {
        return await api.rotateSecret(r.id!);
      } catch (error) {
        throw error instanceof ApiError ? new Error(`device ${r.id} exists and its secret could not be rotated: ${error.message}`) : error;
      }
    });
    const byRow = new Map<number, DeviceCredential>();
    for (const d of result.devices) byRow.set(d.row, { id: d.id, secret: d.secret, kind: d.kind, subtype: d.subtype, name: d.name, role: 'load' });
    taken.forEach((r, i) => byRow.set(r.row, { id: rotated[i].id, secret: rotated[i].secret, kind: rotated[i].kind, subtype: rotated[i].subtype, name: rotated[i].name, role: 'load' }));
    for (let row = 1; row <= chunk.length; row++) out.push(byRow.get(row)!);
    reporter.info(`provisioned ${Math.min(start + IMPORT_CHUNK, requests.length)}/${requests.length} (${result.created} created, ${taken.length} existing with a new secret, ${result.elapsedMs} ms)`);
  }
  return out;
}

function fakeCredentials(n: number, kind: 'mix' | DeviceKind): CredentialsFile {
  return {
    purpose: 'manual',
    createdAt: new Date().toISOString(),
    devices: Array.from({ length: n }, (_, i) => {
      const k = kindFor(kind, i);
      return { id: `sim-load-${String(i + 1).padStart(5, '0')}`, secret: 'not-checked', kind: k, subtype: k === 'fire' ? LOAD_FIRE_SUBTYPE : null };
    }),
  };
}

/**
 * Pre-serialised reading templates: only `ts` (and for fire the value) change per message, so
 * the hot loop builds each payload with two or three string concatenations. Every template is
 * a valid reading for its kind (checked in load.spec.ts), so the platform stores every message.
 */
export function payloadTemplate(device: Pick<DeviceCredential, 'kind' | 'subtype'>, index: number): (ts: number, seq: number) => string {
  switch (device.kind) {
    case 'elevator': {
      const floor = (index % 18) + 1;
      const tail = `,"mode":"normal","direction":"stop","floor":${floor},"atLevel":true,"door":"closed","speed":0,"occupied":false,"power":"mains","safetyCircuit":"closed"}`;
      return (ts) => '{"ts":' + ts + tail;
    }
    case 'gate':
      return (ts) => '{"ts":' + ts + ',"barrier":"closed"}';
    case 'fire':
    default:
      if (device.subtype === 'tank_level') return (ts, seq) => '{"ts":' + ts + ',"value":' + (2.8 + (seq % 60) / 100) + '}';
      if (device.subtype && !['hydrant_pressure', 'sprinkler_pressure'].includes(device.subtype)) {
        return (ts) => '{"ts":' + ts + ',"flags":{"fire":false,"fault":false}}';
      }
      return (ts, seq) => '{"ts":' + ts + ',"value":' + (350 + (seq % 800) / 10) + '}';
  }
}

const RING = 4096;

interface Lane {
  conn: DeviceConnection;
  topic: string;
  make: (ts: number, seq: number) => string;
  inflight: number;
  seq: number;
  /** The last reading's `ts`: a device stamps each reading with a millisecond of its own. */
  lastTs: number;
  corkTick: number;
  times: Float64Array;
  onAck: (err?: Error | null, packet?: { messageId?: number }) => void;
}

export async function runLoad(opts: LoadOptions): Promise<void> {
  const reporter = new Reporter(!!opts.json);
  let creds: CredentialsFile;
  if (opts.credentials) {
    creds = readCredentials(opts.credentials);
    if (creds.devices.length > opts.devices) creds = { ...creds, devices: creds.devices.slice(0, opts.devices) };
  } else if (opts.fakeDevices) {
    creds = fakeCredentials(opts.devices, opts.kind);
    if (opts.credentialsOut) writeCredentials(opts.credentialsOut, creds);
  } else {
    creds = (await provisionLoadDevices(opts, reporter)).creds;
  }
  const window = Math.max(1, Math.min(opts.window, RING / 2));
  const qos = opts.qos;
  let errors = 0;
  let acked = 0;
  let sent = 0;
  const hist = new LatencyHistogram();
  const histSecond = new LatencyHistogram();

  const lanes: Lane[] = creds.devices.map((device, i) => {
    const conn = new DeviceConnection(device, { url: opts.mqtt, protocolVersion: opts.protocol, keepalive: 60 });
    const lane: Lane = {
      conn,
      topic: conn.topics.telemetry,
      make: payloadTemplate(device, i),
      inflight: 0,
      seq: i * 7,
      lastTs: 0,
      corkTick: -1,
      times: new Float64Array(RING),
      onAck: (err, packet) => {
        lane.inflight--;
        if (err) {
          errors++;
          return;
        }
        acked++;
        if (packet?.messageId !== undefined) {
          const ms = performance.now() - lane.times[packet.messageId & (RING - 1)];
          hist.record(ms);
          histSecond.record(ms);
        }
      },
    };
    conn.on('disconnected', () => {
      errors++;
      lane.inflight = 0;
    });
    return lane;
  });

  reporter.info(`connecting ${lanes.length} devices to ${opts.mqtt} …`);
  const connectStart = Date.now();
  const results = await mapLimit(lanes, opts.connectConcurrency, (l) =>
    l.conn.connect().then(
      () => true,
      (err: Error) => {
        errors++;
        reporter.warn(`device ${l.conn.device.id} could not connect: ${err.message}`);
        return false;
      },
    ),
  );
  const live = lanes.filter((_, i) => results[i]);
  reporter.info(`${live.length}/${lanes.length} connected in ${Date.now() - connectStart} ms; target ${opts.rate} msg/s at QoS ${qos}, window ${window}/connection`);
  if (live.length === 0) throw new Error('no device could connect');

  const signal = stopSignal(opts.duration ?? 30);
  const n = live.length;
  const ratePerMs = opts.rate / 1000;
  const maxBurst = Math.max(1, Math.ceil(opts.rate * 0.05));
  const pubOpts = { qos, retain: false } as const;
  const corked: Writable[] = [];
  let rr = 0;
  let scheduled = 0;
  let behind = 0;
  let tickNo = 0;
  const t0 = performance.now();
  let stopped = false;

  const tick = () => {
    if (stopped) return;
    const now = performance.now();
    let due = Math.floor((now - t0) * ratePerMs) - scheduled;
    if (due > maxBurst) {
      behind += due - maxBurst;
      scheduled += due - maxBurst;
      due = maxBurst;
    }
    const ts = Date.now();
    let corkedCount = 0;
    while (due > 0) {
      let lane: Lane | undefined;
      for (let tries = 0; tries < n; tries++) {
        const l = live[rr];
        rr = rr + 1 === n ? 0 : rr + 1;
        if (l.conn.client.connected && (qos === 0 ? l.conn.client.stream.writableLength < 1 << 20 : l.inflight < window)) {
          lane = l;
          break;
        }
      }
      if (!lane) break; // every connection is at its window: back-pressure, the deficit is dropped later
      const client = lane.conn.client;
      if (lane.corkTick !== tickNo) {
        lane.corkTick = tickNo;
        client.stream.cork();
        corked[corkedCount++] = client.stream;
      }
      // Identical readings of one device in one millisecond are one point in InfluxDB (idempotent
      // replays rely on that); a burst of a window's worth would otherwise look like loss.
      lane.lastTs = Math.max(ts, lane.lastTs + 1);
      const payload = lane.make(lane.lastTs, lane.seq++);
      if (qos === 1) {
        lane.inflight++;
        client.publish(lane.topic, payload, pubOpts, lane.onAck);
        lane.times[(client.getLastMessageId() ?? 0) & (RING - 1)] = now;
      } else {
        client.publish(lane.topic, payload, pubOpts);
      }
      sent++;
      scheduled++;
      due--;
    }
    for (let i = 0; i < corkedCount; i++) corked[i].uncork();
    tickNo++;
    setTimeout(tick, 1);
  };

  let lastSent = 0;
  let lastAcked = 0;
  let lastT = performance.now();
  const progress = setInterval(() => {
    const t = performance.now();
    const dt = (t - lastT) / 1000;
    const stats = {
      elapsedS: Math.round((t - t0) / 1000),
      targetRate: opts.rate,
      rate: Math.round((sent - lastSent) / dt),
      ackRate: Math.round((acked - lastAcked) / dt),
      sent,
      acked,
      errors,
      inflight: live.reduce((s, l) => s + l.inflight, 0),
      connected: live.filter((l) => l.conn.connected).length,
      p50: round(histSecond.quantile(0.5)),
      p99: round(histSecond.quantile(0.99)),
      behind,
    };
    lastSent = sent;
    lastAcked = acked;
    lastT = t;
    histSecond.reset();
    reporter.record(
      'progress',
      stats,
      `[load ${stats.elapsedS}s] target ${stats.targetRate}/s achieved ${stats.rate}/s (acked ${stats.ackRate}/s) · sent ${sent} acked ${acked} · errors ${errors} · inflight ${stats.inflight} · ` +
        `${stats.connected}/${n} connected · p50 ${stats.p50 ?? '-'} ms p99 ${stats.p99 ?? '-'} ms${behind ? ` · behind ${behind}` : ''}`,
    );
  }, 1000);

  tick();
  await sleep(2 ** 31 - 1, signal);
  stopped = true;
  const durationMs = performance.now() - t0;
  clearInterval(progress);
  // let outstanding PUBACKs arrive
  const drainUntil = performance.now() + 5000;
  while (qos === 1 && live.some((l) => l.inflight > 0 && l.conn.connected) && performance.now() < drainUntil) await sleep(50);
  const summary = {
    type: 'summary',
    sent,
    acked: qos === 1 ? acked : 0,
    errors,
    durationMs: Math.round(durationMs),
    ratePerSec: Math.round(sent / (durationMs / 1000)),
    ackedPerSec: qos === 1 ? Math.round(acked / (durationMs / 1000)) : null,
    targetRate: opts.rate,
    devices: n,
    qos,
    behind,
    latencyMs: { p50: round(hist.quantile(0.5)), p90: round(hist.quantile(0.9)), p99: round(hist.quantile(0.99)), max: round(hist.count ? hist.max : null) },
  };
  await mapLimit(lanes, 200, (l) => l.conn.close(1000).catch(() => undefined));
  if (opts.json) reporter.line(summary);
  else {
    console.log(
      `summary: ${summary.sent} sent, ${summary.acked} acked, ${summary.errors} errors in ${(summary.durationMs / 1000).toFixed(1)} s → ` +
        `${summary.ratePerSec} msg/s (target ${opts.rate}); PUBACK latency p50 ${summary.latencyMs.p50 ?? '-'} ms, p99 ${summary.latencyMs.p99 ?? '-'} ms, max ${summary.latencyMs.max ?? '-'} ms`,
    );
  }
}
