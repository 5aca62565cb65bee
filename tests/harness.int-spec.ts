import { InfluxDB } from 'influx';
import Redis from 'ioredis';
import { connectAsync, type MqttClient } from 'mqtt';
import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { freshInfluxDatabase, freshPostgresDatabase, freshRedisDb, freshRedisPrefix } from './support/databases';
import { testServices } from './support/test-services';
import { nextEventArgs, waitFor } from './support/wait';

// Proves the integration project's global set-up started every service, on its own ports.
describe('test harness services', () => {
  const s = testServices();

  it('uses its own ports, never the machine defaults', () => {
    const ports = [s.redisUrl, s.influxUrl, s.postgresUrl, s.mqttExternalUrl].map((u) => new URL(u).port);
    expect(ports).not.toEqual(expect.arrayContaining(['6379', '8086', '5432', '1883']));
    expect(new Set(ports).size).toBe(4);
  });

  it('Redis answers PING, and fresh databases are isolated', async () => {
    const redis = new Redis(s.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
    const a = await freshRedisDb();
    const b = await freshRedisDb();
    expect(a.db).not.toBe(b.db);
    const ca = new Redis(a.url);
    const cb = new Redis(b.url);
    try {
      await ca.set('k', 'a');
      expect(await cb.get('k')).toBeNull();
    } finally {
      ca.disconnect();
      cb.disconnect();
    }
    expect(freshRedisPrefix()).toMatch(/^[A-Za-z0-9_:-]+$/);
    expect(freshRedisPrefix()).not.toBe(freshRedisPrefix());
  });

  it('InfluxDB answers ping and stores a point', async () => {
    const fresh = freshInfluxDatabase();
    expect(fresh.url.startsWith(`${s.influxUrl}/`)).toBe(true);
    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(s.influxUrl).port), database: fresh.name });
    const hosts = await influx.ping(5000);
    expect(hosts.every((h) => h.online)).toBe(true);
    await influx.createDatabase(fresh.name);
    await influx.writePoints([{ measurement: 'probe', tags: { device_id: 'd1' }, fields: { value: 1.5 } }]);
    const rows = await influx.query<{ value: number }>('SELECT value FROM probe');
    expect(rows.map((r) => r.value)).toEqual([1.5]);
    await fresh.drop();
    expect(await influx.getDatabaseNames()).not.toContain(fresh.name);
  });

  it('PostgreSQL answers select 1, on spp_test and on a fresh database', async () => {
    const main = new Client({ connectionString: s.postgresDatabaseUrl });
    await main.connect();
    try {
      expect((await main.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await main.end();
    }
    const fresh = await freshPostgresDatabase();
    const c = new Client({ connectionString: fresh.url });
    await c.connect();
    try {
      expect((await c.query('select current_database() as db')).rows[0].db).toBe(fresh.name);
    } finally {
      await c.end();
    }
    await fresh.drop();
  });

  it('Mosquitto delivers a published message (anonymous)', async () => {
    const clients: MqttClient[] = [];
    try {
      const sub = await connectAsync(s.mqttExternalUrl, { reconnectPeriod: 0, connectTimeout: 5000 });
      clients.push(sub);
      const pub = await connectAsync(s.mqttExternalUrl, { reconnectPeriod: 0, connectTimeout: 5000 });
      clients.push(pub);
      const topic = `harness/${Date.now()}`;
      await sub.subscribeAsync(topic, { qos: 1 });
      const received = nextEventArgs<[string, Buffer]>(sub, 'message', 5000);
      await pub.publishAsync(topic, 'hello', { qos: 1 });
      const [t, payload] = await received;
      expect(t).toBe(topic);
      expect(payload.toString()).toBe('hello');
    } finally {
      await Promise.all(clients.map((c) => c.endAsync()));
    }
  });

  it('knows where Chromium is', () => {
    expect(existsSync(s.chromiumPath)).toBe(true);
  });

  it('waitFor gives up with the message', async () => {
    await expect(waitFor(() => false, { timeoutMs: 100, intervalMs: 20, message: 'never' })).rejects.toThrow(/never/);
    let n = 0;
    expect(await waitFor(() => ++n >= 3 && n, { timeoutMs: 1000, intervalMs: 1 })).toBe(3);
  });
});
