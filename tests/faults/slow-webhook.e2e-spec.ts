/**
 * Issue 9, fault table: slow webhook endpoints. A community has four webhooks: three endpoints
 * accept the connection, read the request and never answer; the fourth answers at once. Many
 * alarms are raised. The normal endpoint gets every delivery before a slow one's first call can
 * even have timed out (the old five shared workers were all taken by the slow calls); each slow
 * one never has more than WEBHOOK_ENDPOINT_CONCURRENCY calls open, at most WEBHOOK_ENDPOINT_QUEUE
 * deliveries wait for it, the rest are dropped and counted by webhook, and its time-outs are
 * counted. Nothing is counted against the normal endpoint. Deliveries waiting for an endpoint wait
 * in Redis, not in memory: after a restart each of them arrives, once.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlarmService } from '../../apps/platform/src/services/alarm.service';
import { freshInfluxDatabase, freshPostgresDatabase } from '../support/databases';
import { byScale, recordFault } from '../support/fault-report';
import { metricValue, startTestPlatform, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

const CONCURRENCY = 2;
/** Room for the normal endpoint's burst; the slow one overflows it. */
const QUEUE = 20;
/** Long enough that, on a busy machine, the normal endpoint is served well before it passes. */
const TIMEOUT_MS = 20_000;
/** Together their calls (3 × CONCURRENCY) outnumber the five notification workers there were. */
const SLOW_ENDPOINTS = 3;
const SECRET = 'slow-webhook-secret-0123456789';

interface Endpoint {
  server: Server;
  url: string;
  received: number[];
  /** Alarm ids of the deliveries answered 200 (the endpoint answers once `answering` is set). */
  answered: string[];
  open: () => number;
  maxOpen: () => number;
  answer: () => void;
}

/** A local endpoint; `answer` false: it reads each request and never answers (open requests counted) until answer() is called. */
async function endpoint(answer: boolean): Promise<Endpoint> {
  const received: number[] = [];
  const answered: string[] = [];
  const pending = new Set<IncomingMessage>();
  let answering = answer;
  let maxOpen = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(Date.now());
      if (answering) {
        answered.push(String(JSON.parse(Buffer.concat(chunks).toString('utf8'))?.alarm?.alarmId));
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }
      pending.add(req);
      maxOpen = Math.max(maxOpen, pending.size);
      req.socket.on('close', () => pending.delete(req));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    answered,
    open: () => pending.size,
    maxOpen: () => maxOpen,
    answer: () => (answering = true),
  };
}

function closeWith(tp: TestPlatform, s: Endpoint): void {
  tp.defer(() => new Promise((r) => s.server.close(r)));
  tp.defer(() => s.server.closeAllConnections());
}

describe('fault: slow webhook endpoints (issue 9)', () => {
  let tp: TestPlatform | undefined;
  afterEach(async () => {
    await tp?.close();
    tp = undefined;
  });

  /** One tier, no escalation or reminders: one notice per alarm, so one delivery per alarm and endpoint. */
  async function communityWithHooks(urls: string[]): Promise<{ communityId: string; hookIds: string[] }> {
    const community = await tp!.createCommunity();
    const chain = { tiers: [{ name: 'duty_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 0 }] };
    expect((await tp!.api('PUT', `/api/v1/alarm-escalation/${community.id}/top_overtravel`, chain)).status).toBe(200);
    const hookIds: string[] = [];
    for (const url of urls) {
      const res = await tp!.api('POST', '/api/v1/alarm-webhooks', { communityId: community.id, url, secret: SECRET, format: 'json', minSeverity: 3 });
      expect(res.status).toBe(201);
      hookIds.push(res.body.id);
    }
    return { communityId: community.id, hookIds };
  }

  it('serves the normal endpoint promptly; each slow one holds its own bounded lane, its drops and time-outs counted', async () => {
    const alarmCount = byScale(40, 200);
    const slows: Endpoint[] = [];
    for (let i = 0; i < SLOW_ENDPOINTS; i++) slows.push(await endpoint(false));
    const normal = await endpoint(true);
    tp = await startTestPlatform({
      env: {
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', // the local endpoints, past the private-address guard
        WEBHOOK_ENDPOINT_CONCURRENCY: String(CONCURRENCY),
        WEBHOOK_ENDPOINT_QUEUE: String(QUEUE),
        WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      },
    });
    for (const s of [...slows, normal]) closeWith(tp, s);
    const { communityId, hookIds } = await communityWithHooks([...slows.map((s) => s.url), normal.url]);
    const slowHooks = hookIds.slice(0, SLOW_ENDPOINTS);
    const normalHook = hookIds[SLOW_ENDPOINTS];
    const devices = [];
    for (let i = 0; i < alarmCount; i++) devices.push(await tp.provisionDevice(communityId, 'elevator'));

    const alarms = tp.platform.app.get(AlarmService);
    let queuedPeak = 0;
    const sampleQueue = async () => {
      const text = await tp!.metrics();
      for (const webhook of slowHooks) queuedPeak = Math.max(queuedPeak, metricValue(text, 'spp_webhook_queued', { webhook }));
    };
    // One alarm after the other, each once the normal endpoint has the one before: its latency is
    // then what the slow endpoints cost it (the old shared workers made it wait for slow calls to time out).
    const latencies: number[] = [];
    for (const d of devices) {
      const raisedAt = Date.now();
      await alarms.raise({ communityId, deviceId: d.id, type: 'top_overtravel', severity: 2, source: 'device', ts: raisedAt });
      const want = latencies.length + 1;
      await waitFor(
        async () => {
          await sampleQueue();
          return normal.received.length >= want;
        },
        { timeoutMs: 120_000, intervalMs: 20, message: `the normal endpoint gets delivery ${want}` },
      );
      latencies.push(normal.received[want - 1] - raisedAt);
    }
    const worstMs = Math.max(...latencies);
    // Generous for a busy machine, yet half of TIMEOUT_MS, which the old five shared workers, all
    // taken by slow calls, made a delivery wait.
    expect(worstMs).toBeLessThan(TIMEOUT_MS / 2);

    // Each slow lane: its calls open at most CONCURRENCY at once, QUEUE waiting, the rest dropped and counted.
    let dropped = 0;
    for (const webhook of slowHooks) {
      dropped += await waitFor(
        async () => {
          await sampleQueue();
          const n = await tp!.metric('spp_webhook_dropped_total', { webhook, reason: 'queue_full' });
          return n >= alarmCount - CONCURRENCY - QUEUE ? n : 0;
        },
        { timeoutMs: 60_000, message: 'a slow endpoint’s overflow dropped and counted' },
      );
    }
    for (const s of slows) expect(s.maxOpen()).toBeLessThanOrEqual(CONCURRENCY);
    expect(queuedPeak).toBeLessThanOrEqual(QUEUE);
    // Their calls time out (counted) and are retried with back-off, still within their lanes.
    for (const webhook of slowHooks) {
      await waitFor(async () => (await tp!.metric('spp_webhook_timeouts_total', { webhook })) >= CONCURRENCY, {
        timeoutMs: TIMEOUT_MS * 4,
        message: 'a slow endpoint’s time-outs counted',
      });
    }
    for (const s of slows) expect(s.maxOpen()).toBeLessThanOrEqual(CONCURRENCY);

    // Nothing against the normal endpoint: every delivery once, none dropped or timed out.
    expect(normal.received).toHaveLength(alarmCount);
    for (const reason of ['queue_full', 'retries_exhausted', 'retry_not_queued']) {
      expect(await tp.metric('spp_webhook_dropped_total', { webhook: normalHook, reason })).toBe(0);
    }
    expect(await tp.metric('spp_webhook_timeouts_total', { webhook: normalHook })).toBe(0);

    recordFault({
      fault: 'webhook endpoints accept and never answer',
      load: `${alarmCount} alarms, each to ${SLOW_ENDPOINTS} slow and a normal webhook endpoint`,
      acknowledged: alarmCount,
      stored: normal.received.length,
      lost: alarmCount - normal.received.length,
      duplicated: Math.max(0, normal.received.length - alarmCount),
      recoverySeconds: 0,
      notes: `normal endpoint: worst delivery ${worstMs} ms after its alarm; slow endpoints: ≤ ${Math.max(...slows.map((s) => s.maxOpen()))} calls open each (bound ${CONCURRENCY}), queue peak ${queuedPeak} (bound ${QUEUE}), ${dropped} dropped and counted, time-outs counted`,
    });
  });

  it('keeps the deliveries waiting for an endpoint in Redis: after a restart each arrives once', async () => {
    const alarmCount = 12; // within CONCURRENCY + QUEUE: none dropped
    const pg = await freshPostgresDatabase();
    const influx = freshInfluxDatabase();
    const redisPrefix = `slowhookrestart${Date.now()}`;
    const gate = await endpoint(false);
    const env = {
      DATABASE_URL: pg.url,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_ENDPOINT_CONCURRENCY: String(CONCURRENCY),
      WEBHOOK_ENDPOINT_QUEUE: String(QUEUE),
      // Short, so the calls open at the stop end soon (and are retried as jobs of their own).
      WEBHOOK_TIMEOUT_MS: '2000',
    };
    try {
      tp = await startTestPlatform({ env, influx, redisPrefix });
      const { communityId, hookIds } = await communityWithHooks([gate.url]);
      const alarms = tp.platform.app.get(AlarmService);
      const raised: string[] = [];
      for (let i = 0; i < alarmCount; i++) {
        const d = await tp.provisionDevice(communityId, 'elevator');
        const alarm = await alarms.raise({ communityId, deviceId: d.id, type: 'top_overtravel', severity: 2, source: 'device', ts: Date.now() });
        raised.push(alarm.id);
      }
      // Every call of the endpoint taken, the others waiting for one.
      await waitFor(async () => (await tp!.metric('spp_webhook_queued', { webhook: hookIds[0] })) >= alarmCount - CONCURRENCY, {
        timeoutMs: 60_000,
        message: 'deliveries waiting for the slow endpoint',
      });
      await tp.close();
      tp = undefined;

      // The endpoint recovers; a new process on the same Redis and database delivers what waited.
      gate.answer();
      tp = await startTestPlatform({ env, influx, redisPrefix, login: false });
      await waitFor(() => new Set(gate.answered).size >= alarmCount, {
        timeoutMs: 120_000,
        message: `every waiting delivery arrives after the restart (${new Set(gate.answered).size}/${alarmCount})`,
      });
      expect(new Set(gate.answered)).toEqual(new Set(raised));
      // Once each: give a duplicate the time to show up, then count.
      await waitFor(async () => (await tp!.metric('spp_webhook_queued', { webhook: hookIds[0] })) === 0, { timeoutMs: 30_000, message: 'nothing left waiting' });
      expect(gate.answered).toHaveLength(alarmCount);
    } finally {
      await tp?.close();
      tp = undefined;
      await new Promise((r) => gate.server.close(r));
      gate.server.closeAllConnections();
      await influx.drop().catch(() => undefined);
      await pg.drop();
    }
  });
});
