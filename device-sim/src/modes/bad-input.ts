import { randomBytes } from 'node:crypto';
import mqtt, { IClientOptions, MqttClient } from 'mqtt';
import { deviceTopic, MAX_FUTURE_SKEW_MS, MAX_PAYLOAD_BYTES } from '@app/contracts';
import { credentialsPath, CredentialsFile, DeviceCredential, findCredentials, readCredentials, writeCredentials } from '../credentials';
import { ApiError, DeadLetter, metricByLabel, PlatformClient } from '../rest-client';
import { GlobalOptions, Reporter, shortId, sleep } from './common';

export interface BadInputOptions extends GlobalOptions {
  fakeDevices?: boolean;
  /** Milliseconds to wait for the broker's answer in each case. */
  wait: number;
}

type Verdict = 'pass' | 'fail' | 'unverified';

export interface CaseResult {
  case: string;
  expected: string;
  observed: string;
  verdict: Verdict;
  /** For payload cases: the dead letter the platform kept, if found. */
  deadLetter?: DeadLetter;
}

interface PayloadCase {
  name: string;
  expected: string;
  /** Rejection reason words we expect to find in the dead letter's reason (any). */
  reasonHints: string[];
  topic: (self: string) => string;
  payload: () => string | Buffer;
}

const validElevator = (ts?: number) => ({
  ...(ts === undefined ? {} : { ts }),
  mode: 'normal',
  direction: 'stop',
  floor: 1,
  atLevel: true,
  door: 'closed',
  speed: 0,
  occupied: false,
  power: 'mains',
  safetyCircuit: 'closed',
});

/** Payload cases: each has a distinct opening so its dead letter can be matched by prefix. */
function payloadCases(runId: string): PayloadCase[] {
  return [
    {
      name: 'malformed JSON',
      expected: 'not stored; dead letter (invalid JSON)',
      reasonHints: ['json', 'parse'],
      topic: (id) => deviceTopic(id, 'telemetry'),
      payload: () => `{"ts":${Date.now()},"run":"${runId}","mode":"normal",`,
    },
    {
      name: 'wrong types',
      expected: 'not stored; dead letter (schema)',
      reasonHints: ['schema', 'valid', 'type'],
      topic: (id) => deviceTopic(id, 'telemetry'),
      payload: () => JSON.stringify({ mode: 'normal', run: runId, direction: 'stop', floor: '3', atLevel: 'yes', door: 'closed', speed: -1, occupied: 0, power: 'mains', safetyCircuit: 'closed' }),
    },
    {
      name: 'missing fields',
      expected: 'not stored; dead letter (schema)',
      reasonHints: ['schema', 'valid', 'required', 'missing'],
      topic: (id) => deviceTopic(id, 'telemetry'),
      payload: () => JSON.stringify({ direction: 'up', run: runId, floor: 5 }),
    },
    {
      name: 'oversize payload (>64 KiB)',
      expected: 'not stored; dead letter (too large) or refused by the broker',
      reasonHints: ['large', 'size', 'oversize'],
      topic: (id) => deviceTopic(id, 'telemetry'),
      payload: () => JSON.stringify({ ...validElevator(Date.now()), pad: `${runId}-${'x'.repeat(MAX_PAYLOAD_BYTES + 1024)}` }),
    },
    {
      name: 'ts 10 minutes in the future',
      expected: `not stored; dead letter (ts > ${MAX_FUTURE_SKEW_MS / 60000} min ahead)`,
      reasonHints: ['future', 'ts', 'time', 'skew'],
      topic: (id) => deviceTopic(id, 'telemetry'),
      payload: () => JSON.stringify({ ts: Date.now() + 10 * 60_000, run: runId, ...validElevator() }),
    },
    {
      name: 'event of an unknown type',
      expected: 'not stored; dead letter (schema)',
      reasonHints: ['schema', 'valid'],
      topic: (id) => deviceTopic(id, 'events'),
      payload: () => JSON.stringify({ type: 'levitation', run: runId, active: true }),
    },
  ];
}

interface Session {
  client: MqttClient;
  connack: { ok: boolean; code?: number; message?: string };
  closed: boolean;
  closeReason?: string;
}

function connectRaw(url: string, id: string, password: string, protocolVersion: 4 | 5, timeoutMs: number, clientId = id): Promise<Session> {
  return new Promise((resolve) => {
    const opts: IClientOptions = {
      clientId,
      username: id,
      password,
      clean: true,
      protocolVersion,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      will: { topic: deviceTopic(id, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    const client = mqtt.connect(url, opts);
    const session: Session = { client, connack: { ok: false }, closed: false };
    client.on('close', () => (session.closed = true));
    client.on('disconnect', (packet) => (session.closeReason = `DISCONNECT rc=${packet.reasonCode ?? 0}`));
    const timer = setTimeout(() => finish({ ok: false, message: 'no CONNACK (timeout)' }), timeoutMs + 500);
    const finish = (connack: Session['connack']) => {
      clearTimeout(timer);
      session.connack = connack;
      client.removeListener('connect', onConnect);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      resolve(session);
    };
    const onConnect = () => finish({ ok: true, code: 0 });
    const onError = (err: Error & { code?: number }) => finish({ ok: false, code: typeof err.code === 'number' ? err.code : undefined, message: err.message });
    const onClose = () => finish({ ok: false, message: 'connection closed before CONNACK' });
    client.on('error', () => undefined); // keep later errors from throwing
    client.once('connect', onConnect);
    client.once('error', onError);
    client.once('close', onClose);
  });
}

function end(session: Session): Promise<void> {
  return new Promise((resolve) => session.client.end(true, {}, () => resolve()));
}

/** Publishes at QoS 1 and reports what came back: PUBACK (with reason code), disconnect, or nothing. */
async function publishAndObserve(session: Session, topic: string, payload: string | Buffer, waitMs: number): Promise<{ accepted: boolean; observed: string }> {
  const result = await new Promise<{ accepted: boolean; observed: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ accepted: false, observed: `no PUBACK within ${waitMs} ms` }), waitMs);
    session.client.once('close', () => {
      clearTimeout(timer);
      resolve({ accepted: false, observed: `connection closed by broker${session.closeReason ? ` (${session.closeReason})` : ''}` });
    });
    session.client.publish(topic, payload, { qos: 1, retain: false }, (err) => {
      clearTimeout(timer);
      const code = (err as (Error & { code?: number }) | undefined)?.code;
      if (err) resolve({ accepted: false, observed: `PUBACK error${code !== undefined ? ` rc=${code}` : ''}: ${err.message}` });
      else resolve({ accepted: true, observed: 'PUBACK ok' });
    });
  });
  if (result.accepted) {
    await sleep(300);
    if (session.closed) return { accepted: false, observed: `PUBACK then connection closed${session.closeReason ? ` (${session.closeReason})` : ''}` };
  }
  return result;
}

async function badInputCredentials(opts: BadInputOptions, reporter: Reporter, api: PlatformClient | undefined): Promise<CredentialsFile> {
  if (opts.credentials) return readCredentials(opts.credentials);
  if (opts.fakeDevices || !api) {
    if (!opts.fakeDevices) reporter.warn('no --username/--password and no --credentials: using made-up device ids (only meaningful against an anonymous broker)');
    return {
      purpose: 'manual',
      createdAt: new Date().toISOString(),
      devices: [
        { id: 'sim-bad-a', secret: 'made-up', kind: 'elevator' },
        { id: 'sim-bad-b', secret: 'made-up', kind: 'gate' },
      ],
    };
  }
  const previous = opts.community ? undefined : findCredentials('bad-input', opts.api, opts.dataDir);
  if (previous) return readCredentials(previous);
  let communityId = opts.community;
  if (!communityId) {
    const c = await api.createCommunity({ name: '异常输入测试小区', district: '某区', street: '某街道', buildings: [] });
    communityId = c.id;
  }
  const prefix = shortId(communityId);
  const devices: DeviceCredential[] = [];
  for (const [role, kind, name] of [
    ['bad-a', 'elevator', '异常输入测试电梯'],
    ['bad-b', 'gate', '异常输入测试道闸'],
  ] as const) {
    const d = await api.provisionDevice({ id: `${prefix}-${role}`, communityId, kind, name });
    devices.push({ id: d.id, secret: d.secret, kind: d.kind, subtype: d.subtype, name: d.name, role });
  }
  const creds: CredentialsFile = { purpose: 'bad-input', api: opts.api, communityId, createdAt: new Date().toISOString(), devices };
  const file = credentialsPath(communityId, opts.dataDir);
  writeCredentials(file, creds);
  reporter.info(`provisioned 2 test devices; credentials saved to ${file}`);
  return creds;
}

function verdictRefused(refused: boolean): Verdict {
  return refused ? 'pass' : 'fail';
}

export async function runBadInput(opts: BadInputOptions): Promise<CaseResult[]> {
  const reporter = new Reporter(!!opts.json);
  let api: PlatformClient | undefined;
  if (opts.username && opts.password) {
    api = new PlatformClient(opts.api);
    try {
      await api.login(opts.username, opts.password);
    } catch (err) {
      reporter.warn(`cannot log in to ${opts.api} (${(err as Error).message}); dead letters will not be checked`);
      api = undefined;
    }
  }
  const creds = await badInputCredentials(opts, reporter, api);
  if (creds.devices.length < 1) throw new Error('bad-input needs at least one device');
  const self = creds.devices[0];
  const other = creds.devices[1] ?? { id: `${self.id}-other`, secret: 'x', kind: 'gate' as const };
  const runId = randomBytes(4).toString('hex');
  const wait = opts.wait;
  const v = opts.protocol;
  const results: CaseResult[] = [];
  const metricsBefore = api ? await api.metrics().catch(() => undefined) : undefined;
  const startedAt = Date.now();

  // 0. sanity: the device itself can connect
  const probe = await connectRaw(opts.mqtt, self.id, self.secret, v, wait);
  if (!probe.connack.ok) throw new Error(`device ${self.id} cannot connect with its own credentials: ${probe.connack.message}`);
  await end(probe);

  // 1. payload cases: published by the device on its own topics
  const sentPayloads: { c: PayloadCase; topic: string; payload: string; observed: string; accepted: boolean }[] = [];
  for (const c of payloadCases(runId)) {
    const session = await connectRaw(opts.mqtt, self.id, self.secret, v, wait);
    const topic = c.topic(self.id);
    const payload = c.payload();
    const r = session.connack.ok ? await publishAndObserve(session, topic, payload, wait) : { accepted: false, observed: `connect failed: ${session.connack.message}` };
    await end(session);
    sentPayloads.push({ c, topic, payload: payload.toString(), observed: r.observed, accepted: r.accepted });
  }

  // 2. broker-level cases
  const other_ = other as DeviceCredential;
  {
    const s = await connectRaw(opts.mqtt, self.id, self.secret, v, wait);
    const r = await publishAndObserve(s, deviceTopic(other_.id, 'telemetry'), JSON.stringify(validElevator(Date.now())), wait);
    await end(s);
    results.push({
      case: "publish to another device's topic",
      expected: 'refused by the broker (PUBACK rc≥0x80 or disconnect)',
      observed: r.observed,
      verdict: verdictRefused(!r.accepted),
    });
  }
  {
    const s = await connectRaw(opts.mqtt, self.id, self.secret, v, wait);
    const r = await publishAndObserve(s, `v1/devices/${self.id}/firmware`, JSON.stringify({ run: runId }), wait);
    await end(s);
    results.push({ case: 'publish to an unknown channel of its own', expected: 'refused by the broker', observed: r.observed, verdict: verdictRefused(!r.accepted) });
  }
  {
    const s = await connectRaw(opts.mqtt, self.id, self.secret, v, wait);
    const observed = await new Promise<{ refused: boolean; text: string }>((resolve) => {
      const timer = setTimeout(() => resolve({ refused: false, text: `no SUBACK within ${wait} ms` }), wait);
      s.client.once('close', () => {
        clearTimeout(timer);
        resolve({ refused: true, text: 'connection closed by broker' });
      });
      s.client.subscribe(deviceTopic(other_.id, 'commands'), { qos: 1 }, (err, granted) => {
        clearTimeout(timer);
        const codes = granted?.map((g) => g.qos) ?? [];
        if (err) resolve({ refused: true, text: `SUBACK failure: ${err.message}` });
        else if (codes.some((c) => c >= 0x80)) resolve({ refused: true, text: `SUBACK failure (granted ${codes.join(',')})` });
        else resolve({ refused: false, text: `SUBACK granted QoS ${codes.join(',')}` });
      });
    });
    await end(s);
    results.push({
      case: "subscribe to another device's commands",
      expected: 'refused (SUBACK 0x80/0x87 or disconnect)',
      observed: observed.text,
      verdict: verdictRefused(observed.refused),
    });
  }
  {
    const s = await connectRaw(opts.mqtt, self.id, `${self.secret}-wrong`, v, wait);
    await end(s);
    results.push({
      case: 'connect with a wrong password',
      expected: v === 5 ? 'CONNACK refused (134 bad user name or password / 135 not authorized)' : 'CONNACK refused (4 bad username or password / 5 not authorized)',
      observed: s.connack.ok ? 'CONNACK accepted' : `refused${s.connack.code !== undefined ? ` rc=${s.connack.code}` : ''}: ${s.connack.message}`,
      verdict: verdictRefused(!s.connack.ok),
    });
  }
  {
    const unknown = `sim-unknown-${runId}`;
    const s = await connectRaw(opts.mqtt, unknown, 'whatever-secret', v, wait);
    await end(s);
    results.push({
      case: 'connect as an unknown device id',
      expected: 'CONNACK refused',
      observed: s.connack.ok ? 'CONNACK accepted' : `refused${s.connack.code !== undefined ? ` rc=${s.connack.code}` : ''}: ${s.connack.message}`,
      verdict: verdictRefused(!s.connack.ok),
    });
  }
  {
    const s = await connectRaw(opts.mqtt, self.id, self.secret, v, wait, `${self.id}-x`);
    await end(s);
    results.push({
      case: 'client id different from username',
      expected: 'CONNACK refused (client id must equal the device id)',
      observed: s.connack.ok ? 'CONNACK accepted' : `refused${s.connack.code !== undefined ? ` rc=${s.connack.code}` : ''}: ${s.connack.message}`,
      verdict: verdictRefused(!s.connack.ok),
    });
  }

  // 3. what the platform kept: dead letters and rejection counters
  let deadLetters: DeadLetter[] | undefined;
  if (api) {
    await sleep(2000);
    try {
      deadLetters = await api.deadLetters(500);
    } catch (err) {
      reporter.warn(`GET /api/v1/dead-letters failed: ${err instanceof ApiError ? err.message : String(err)}`);
    }
  }
  const payloadResults: CaseResult[] = sentPayloads.map(({ c, topic, payload, observed, accepted }) => {
    const dl = deadLetters?.find(
      // every payload opens with something unique to this run (its ts or the run id)
      (d) => d.topic === topic && typeof d.payloadPrefix === 'string' && d.payloadPrefix.length >= 8 && payload.startsWith(d.payloadPrefix),
    );
    let verdict: Verdict;
    let obs = observed;
    if (dl) {
      verdict = 'pass';
      obs += `; dead letter reason=${dl.reason}`;
      if (!c.reasonHints.some((h) => dl.reason.toLowerCase().includes(h))) obs += ' (reason differs from expected)';
    } else if (!accepted && /closed|PUBACK error/.test(observed) && c.name.startsWith('oversize')) {
      verdict = 'pass'; // refused at the broker: also not stored
    } else if (deadLetters) {
      verdict = 'fail';
      obs += '; no dead letter found';
    } else {
      verdict = 'unverified';
      obs += '; dead letters not checked (no API login)';
    }
    return { case: c.name, expected: c.expected, observed: obs, verdict, ...(dl ? { deadLetter: dl } : {}) };
  });
  const all = [...payloadResults, ...results];

  if (opts.json) for (const r of all) reporter.line({ type: 'case', ...r });
  else printTable(all);

  if (api && metricsBefore !== undefined) {
    const after = await api.metrics().catch(() => undefined);
    if (after) {
      const delta = (metric: string, label: string) => {
        const b = metricByLabel(metricsBefore, metric, label);
        const a = metricByLabel(after, metric, label);
        return Object.fromEntries(Object.entries(a).map(([k, n]) => [k, n - (b[k] ?? 0)]).filter(([, n]) => (n as number) > 0));
      };
      const counters = {
        rejectedByReason: delta('spp_ingest_rejected_total', 'reason'),
        authFailures: delta('spp_mqtt_auth_failures_total', 'reason'),
        aclDenied: delta('spp_mqtt_acl_denied_total', 'action'),
      };
      reporter.record('metrics', counters, `metrics since start: ${JSON.stringify(counters)}`);
    }
  }
  const failed = all.filter((r) => r.verdict === 'fail').length;
  reporter.record('summary', { cases: all.length, failed, unverified: all.filter((r) => r.verdict === 'unverified').length, durationMs: Date.now() - startedAt });
  return all;
}

function printTable(rows: CaseResult[]): void {
  const width = (s: string) => [...s].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1), 0);
  const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));
  const cols = [
    Math.max(4, ...rows.map((r) => width(r.case))),
    Math.min(64, Math.max(8, ...rows.map((r) => width(r.expected)))),
    10,
  ];
  console.log(`${pad('case', cols[0])} | ${pad('expected', cols[1])} | ${pad('verdict', cols[2])} | observed`);
  console.log(`${'-'.repeat(cols[0])}-+-${'-'.repeat(cols[1])}-+-${'-'.repeat(cols[2])}-+-${'-'.repeat(30)}`);
  for (const r of rows) console.log(`${pad(r.case, cols[0])} | ${pad(r.expected, cols[1])} | ${pad(r.verdict.toUpperCase(), cols[2])} | ${r.observed}`);
}
