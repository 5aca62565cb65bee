import { readFileSync } from 'node:fs';
import { URL } from 'node:url';
import { importDevices } from '../../device-sim/src/modes/load';
import { parseSourceAddresses, runFleetShards, type FleetProgress, type FleetSummary } from '../../device-sim/src/modes/fleet';
import { Reporter } from '../../device-sim/src/modes/common';
import { fleetDeviceType } from '../../device-sim/src/fleet/mix';
import { PlatformClient } from '../../device-sim/src/rest-client';
import type { FleetDevice } from '../../device-sim/src/fleet/lean-device';
import { ADMIN, startTestPlatform, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

/** Established TCP connections to `port` by local (source) address, from /proc/net/tcp. */
function connectionsBySource(port: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '01') continue; // 01 = ESTABLISHED
    const [localHex, localPort] = f[1].split(':');
    const [, remotePort] = f[2].split(':');
    if (parseInt(remotePort, 16) !== port || parseInt(localPort, 16) === port) continue;
    const n = parseInt(localHex, 16); // little-endian IPv4
    const ip = [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
    out.set(ip, (out.get(ip) ?? 0) + 1);
  }
  return out;
}

/**
 * The simulator's fleet mode against the embedded broker: 300 devices of the fleet mix,
 * provisioned with the bulk import, connected from four loopback source addresses; every device
 * publishes and gets its PUBACKs, and a device whose secret is rotated is refused and backs off.
 */
describe('device-sim fleet mode', () => {
  let tp: TestPlatform;
  let devices: FleetDevice[];
  const stop = new AbortController();
  let run: Promise<FleetSummary> | undefined;
  let latest: FleetProgress | undefined;
  const DEVICES = 300;
  const SOURCES = '127.0.0.2-127.0.0.5';

  beforeAll(async () => {
    tp = await startTestPlatform();
    const community = await tp.createCommunity({ name: '车队小区' });
    const api = new PlatformClient(tp.httpUrl);
    await api.login(ADMIN.username, ADMIN.password);
    const requests = Array.from({ length: DEVICES }, (_, i) => {
      const t = fleetDeviceType(i);
      return { id: `fleet-t-${i + 1}`, communityId: community.id, kind: t.kind, ...(t.subtype ? { subtype: t.subtype } : {}), name: `fleet ${i + 1}` };
    });
    devices = await importDevices(api, requests, new Reporter(false));
  }, 300_000);

  afterAll(async () => {
    stop.abort();
    await run?.catch(() => undefined);
    await tp?.close();
  });

  it('connects every device from several source addresses; they publish the mix and get PUBACKs', async () => {
    expect(devices).toHaveLength(DEVICES);
    expect(new Set(devices.map((d) => d.kind))).toEqual(new Set(['elevator', 'fire', 'gate']));
    const mqtt = new URL(tp.mqttUrl!);
    const port = Number(mqtt.port);
    run = runFleetShards(
      devices,
      {
        host: mqtt.hostname,
        port,
        protocolVersion: 4,
        keepaliveS: 2,
        publishIntervalMs: 1000,
        qos: 1,
        // Each device's first connection costs the platform a slow secret hash; on a busy machine
        // 300 at once take a while, and this test is about the fleet, not that speed.
        connectTimeoutMs: 180_000,
        ackTimeoutMs: 30_000,
        backoff: { minMs: 200, maxMs: 2000 },
        connectRatePerSec: 0,
        sourceAddresses: parseSourceAddresses(SOURCES),
        seed: 1,
      },
      1,
      stop.signal,
      (p) => (latest = p),
    );
    await waitFor(() => latest && latest.connected === DEVICES && latest.acked >= 3 * DEVICES, { timeoutMs: 240_000, message: `all ${DEVICES} connected with three PUBACKs each on average (now ${JSON.stringify(latest)})` });
    expect(latest!.errors).toEqual({});

    // A quarter of the fleet from each source address. Read until it settles: with a 2 s keep-alive
    // on a busy machine a device may be between two connections at the moment of one reading.
    const perSource = () => Object.fromEntries([...connectionsBySource(port)].sort(([a], [b]) => a.localeCompare(b)));
    const quarters = Object.fromEntries(parseSourceAddresses(SOURCES).map((ip) => [ip, DEVICES / 4]));
    await waitFor(() => JSON.stringify(perSource()) === JSON.stringify(quarters), { timeoutMs: 60_000, message: `${DEVICES / 4} connections from each source address (now ${JSON.stringify(perSource())})` });

    // The platform stored readings of every kind and sees the devices online.
    await waitFor(async () => (await tp.influxRows('SELECT count("barrier") FROM "gate"'))[0]?.count > 0, { timeoutMs: 30_000, message: 'gate readings stored' });
    for (const m of ['elevator', 'fire']) {
      await waitFor(async () => (await tp.influxRows(`SELECT count(*) FROM "${m}"`)).length > 0, { timeoutMs: 30_000, message: `${m} readings stored` });
    }
    expect(await tp.metric('spp_ingest_rejected_total')).toBe(0);
  }, 360_000);

  it('counts a refused reconnect by kind and keeps retrying with back-off', async () => {
    const victim = devices[7];
    const rotated = await tp.api('POST', `/api/v1/devices/${victim.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    await waitFor(() => (latest?.errors.connack_bad_credentials ?? 0) >= 2, { timeoutMs: 30_000, message: `the old secret refused, and retried (now ${JSON.stringify(latest?.errors)})` });
    expect(latest!.connected).toBe(DEVICES - 1);
    // The others go on publishing and getting PUBACKs.
    const acked = latest!.acked;
    await waitFor(() => latest!.acked >= acked + DEVICES, { timeoutMs: 30_000, message: 'PUBACKs keep coming' });
  }, 90_000);

  it('stops cleanly with a summary', async () => {
    stop.abort();
    const summary = await run!;
    expect(summary).toMatchObject({ devices: DEVICES });
    expect(summary.connects).toBeGreaterThanOrEqual(DEVICES);
    expect(summary.acked).toBeGreaterThan(3 * DEVICES);
    expect(summary.pubackMs.p50).not.toBeNull();
    expect(summary.allConnectedAfterS).not.toBeNull();
    expect(Object.keys(summary.errors).sort()).toEqual(expect.arrayContaining(['connack_bad_credentials']));
  });
});
