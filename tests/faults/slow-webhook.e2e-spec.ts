/**
 * Issue 9, fault table: a slow webhook endpoint. A community has two webhooks: one endpoint
 * accepts the connection, reads the request and never answers; the other answers at once. Many
 * alarms are raised. The normal endpoint gets every delivery before the slow one's first call can
 * even have timed out (the old shared workers made it wait behind the slow calls); the slow one
 * never has more than WEBHOOK_ENDPOINT_CONCURRENCY calls open, at most WEBHOOK_ENDPOINT_QUEUE
 * deliveries wait for it, the rest are dropped and counted by webhook, and its time-outs are
 * counted. Nothing is counted against the normal endpoint.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlarmService } from '../../apps/platform/src/services/alarm.service';
import { byScale, recordFault } from '../support/fault-report';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

const CONCURRENCY = 2;
/** Room for the normal endpoint's burst; the slow one overflows it. */
const QUEUE = 20;
/** Long enough that, on a busy machine, the normal endpoint is served well before it passes. */
const TIMEOUT_MS = 20_000;
/** What one never-answering call held a shared worker for before (the old fixed time-out). */
const OLD_WAIT_MS = 5000;
const SECRET = 'slow-webhook-secret-0123456789';

/** A local endpoint; `answer` false: it reads each request and never answers (open requests counted). */
async function endpoint(answer: boolean): Promise<{ server: Server; url: string; received: number[]; open: () => number; maxOpen: () => number }> {
  const received: number[] = [];
  const pending = new Set<IncomingMessage>();
  let maxOpen = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(Date.now());
      if (answer) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      pending.add(req);
      maxOpen = Math.max(maxOpen, pending.size);
      req.socket.on('close', () => pending.delete(req));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, open: () => pending.size, maxOpen: () => maxOpen };
}

describe('fault: a slow webhook endpoint (issue 9)', () => {
  let tp: TestPlatform | undefined;
  afterAll(async () => {
    await tp?.close();
  });

  it('serves the normal endpoint promptly; the slow one holds its own bounded lane, its drops and time-outs counted', async () => {
    const alarmCount = byScale(40, 200);
    const slow = await endpoint(false);
    const normal = await endpoint(true);
    tp = await startTestPlatform({
      env: {
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', // the local endpoints, past the private-address guard
        WEBHOOK_ENDPOINT_CONCURRENCY: String(CONCURRENCY),
        WEBHOOK_ENDPOINT_QUEUE: String(QUEUE),
        WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      },
    });
    for (const s of [slow, normal]) {
      tp.defer(() => new Promise((r) => s.server.close(r)));
      tp.defer(() => s.server.closeAllConnections());
    }
    const community = await tp.createCommunity();
    // One tier, no escalation or reminders: one notice per alarm, so one delivery per alarm and endpoint.
    const chain = { tiers: [{ name: 'duty_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 0 }] };
    expect((await tp.api('PUT', `/api/v1/alarm-escalation/${community.id}/top_overtravel`, chain)).status).toBe(200);
    const hooks: Record<'slow' | 'normal', string> = { slow: '', normal: '' };
    for (const [name, s] of [['slow', slow], ['normal', normal]] as const) {
      const res = await tp.api('POST', '/api/v1/alarm-webhooks', { communityId: community.id, url: s.url, secret: SECRET, format: 'json', minSeverity: 3 });
      expect(res.status).toBe(201);
      hooks[name] = res.body.id;
    }
    const devices = [];
    for (let i = 0; i < alarmCount; i++) devices.push(await tp.provisionDevice(community.id, 'elevator'));

    const alarms = tp.platform.app.get(AlarmService);
    const queuedPeak = { value: 0 };
    const sampleQueue = async () => {
      queuedPeak.value = Math.max(queuedPeak.value, await tp!.metric('spp_webhook_queued', { webhook: hooks.slow }));
    };
    // One alarm after the other, each once the normal endpoint has the one before: its latency is
    // then what the slow endpoint costs it (the old shared workers made it wait for slow calls to time out).
    const latencies: number[] = [];
    for (const d of devices) {
      const raisedAt = Date.now();
      await alarms.raise({ communityId: community.id, deviceId: d.id, type: 'top_overtravel', severity: 2, source: 'device', ts: raisedAt });
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
    // Generous, yet below the 5 s the old shared workers waited on each slow call.
    expect(worstMs).toBeLessThan(OLD_WAIT_MS);
    expect(await tp.metric('spp_webhook_timeouts_total', { webhook: hooks.slow })).toBe(0);

    // The slow lane: its calls open at most CONCURRENCY at once, QUEUE waiting, the rest dropped and counted.
    const dropped = await waitFor(
      async () => {
        await sampleQueue();
        const n = await tp!.metric('spp_webhook_dropped_total', { webhook: hooks.slow, reason: 'queue_full' });
        return n >= alarmCount - CONCURRENCY - QUEUE ? n : 0;
      },
      { timeoutMs: 60_000, message: 'the slow endpoint’s overflow dropped and counted' },
    );
    expect(slow.maxOpen()).toBeLessThanOrEqual(CONCURRENCY);
    expect(queuedPeak.value).toBeLessThanOrEqual(QUEUE);
    // Its calls time out (counted) and are retried with back-off, still within the lane.
    await waitFor(async () => (await tp!.metric('spp_webhook_timeouts_total', { webhook: hooks.slow })) >= CONCURRENCY, {
      timeoutMs: TIMEOUT_MS * 4,
      message: 'the slow endpoint’s time-outs counted',
    });
    expect(slow.maxOpen()).toBeLessThanOrEqual(CONCURRENCY);

    // Nothing against the normal endpoint: every delivery once, none dropped or timed out.
    expect(normal.received).toHaveLength(alarmCount);
    for (const reason of ['queue_full', 'retries_exhausted', 'retry_not_queued']) {
      expect(await tp.metric('spp_webhook_dropped_total', { webhook: hooks.normal, reason })).toBe(0);
    }
    expect(await tp.metric('spp_webhook_timeouts_total', { webhook: hooks.normal })).toBe(0);

    recordFault({
      fault: 'a webhook endpoint accepts and never answers',
      load: `${alarmCount} alarms, each to a slow and a normal webhook endpoint`,
      acknowledged: alarmCount,
      stored: normal.received.length,
      lost: alarmCount - normal.received.length,
      duplicated: Math.max(0, normal.received.length - alarmCount),
      recoverySeconds: 0,
      notes: `normal endpoint: worst delivery ${worstMs} ms after its alarm; slow endpoint: ≤ ${slow.maxOpen()} calls open (bound ${CONCURRENCY}), queue peak ${queuedPeak.value} (bound ${QUEUE}), ${dropped} dropped and counted, time-outs counted`,
    });
  });
});
