/**
 * Closing the platform releases everything it opened: no connection to Redis, PostgreSQL or
 * InfluxDB stays open and no port keeps listening. A leak here keeps a test run (and a
 * process being shut down) alive.
 */
import { connect } from 'node:net';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { elevatorReading, publishJson, startTestPlatform } from '../support/platform';
import { testServices } from '../support/test-services';
import { waitFor } from '../support/wait';

type Handle = { constructor?: { name?: string }; remotePort?: number; destroyed?: boolean };

/** Open TCP sockets of this process to the given ports (process._getActiveHandles is Node's own diagnostic). */
function socketsTo(ports: number[]): number[] {
  const handles = (process as unknown as { _getActiveHandles(): Handle[] })._getActiveHandles();
  return handles.filter((h) => h.remotePort !== undefined && !h.destroyed && ports.includes(h.remotePort)).map((h) => h.remotePort!);
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

describe('shutdown', () => {
  let postgres: FreshPostgres;
  const s = testServices();
  const servicePorts = [s.redisUrl, s.postgresUrl, s.influxUrl].map((u) => Number(new URL(u).port));

  beforeAll(async () => {
    postgres = await freshPostgresDatabase();
  });
  afterAll(async () => {
    await postgres.drop();
  });

  it.each([
    ['broker,ingest,api', { ROLES: 'broker,ingest,api' }],
    ['every role', {}],
  ])('with %s, close() leaves no connection to Redis, PostgreSQL or InfluxDB and no listening port', async (_name, env) => {
    // Whatever an earlier case leaked is not this case's to answer for.
    const baseline = socketsTo(servicePorts).length;
    const tp = await startTestPlatform({ env: { ...env, DATABASE_URL: postgres.url } });
    const httpPort = Number(new URL(tp.httpUrl).port);
    const mqttPort = Number(new URL(tp.mqttUrl!).port);
    // Exercise the stores: a device, a reading, a socket.io client.
    const community = await tp.createCommunity();
    const device = await tp.provisionDevice(community.id, 'elevator');
    const client = await tp.connectDevice(device);
    await publishJson(client, `v1/devices/${device.id}/telemetry`, elevatorReading());
    await tp.socket();
    await waitFor(async () => (await tp.api('GET', `/api/v1/devices/${device.id}/live`)).body.state !== null, { timeoutMs: 5000 });
    expect(socketsTo(servicePorts).length).toBeGreaterThan(baseline);

    await tp.close();
    // Sockets close asynchronously after quit/end: allow them a moment, without sleeping blindly.
    const left = await waitFor(() => socketsTo(servicePorts).length <= baseline, { timeoutMs: 3000, intervalMs: 50 }).then(
      () => [],
      () => socketsTo(servicePorts).slice(baseline),
    );
    expect({ socketsLeftOpenTo: left }).toEqual({ socketsLeftOpenTo: [] });
    expect(await refused(httpPort)).toBe(true);
    expect(await refused(mqttPort)).toBe(true);
  });
});
