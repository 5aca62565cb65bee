/**
 * QoS 1 load from persistent-session devices (clean: false, fixed client ids) for the ingestion
 * faults. Every message carries its device's sequence number as the reading's value; the client
 * records which sequence numbers were acknowledged (PUBACK), so a test compares what was
 * acknowledged with what InfluxDB holds. mqtt.js keeps unacknowledged messages and resends them
 * after a reconnect, as a device does.
 */
import { connect, type MqttClient } from 'mqtt';
import type { ProvisionedDevice } from './platform';
import { influxRows } from './platform';
import type { FreshInflux } from './databases';
import { waitFor } from './wait';

/** Unacknowledged messages a device keeps at most; beyond it, it stops publishing until acknowledgements come. */
const MAX_IN_FLIGHT = 500;
const TICK_MS = 20;

interface DeviceLoad {
  device: ProvisionedDevice;
  client: MqttClient;
  next: number;
  inFlight: number;
  acked: Set<number>;
  ackLatencyMs: number[];
}

export class Qos1Load {
  private readonly loads: DeviceLoad[];
  private timer?: NodeJS.Timeout;
  private readonly startedAt = Date.now();

  constructor(
    mqttUrl: string,
    devices: ProvisionedDevice[],
    /** Messages per second, all devices together. */
    private readonly rate: number,
  ) {
    this.loads = devices.map((device) => ({
      device,
      client: connect(mqttUrl, {
        clientId: device.id,
        username: device.id,
        password: device.secret,
        protocolVersion: 4,
        clean: false,
        reconnectPeriod: 250,
        // mqtt.js fails every unacknowledged message when a CONNACK is late: give a restarting platform time.
        connectTimeout: 60_000,
        queueQoSZero: false,
      }),
      next: 0,
      inFlight: 0,
      acked: new Set<number>(),
      ackLatencyMs: [],
    }));
  }

  async connected(): Promise<void> {
    await waitFor(() => this.loads.every((l) => l.client.connected), { timeoutMs: 60_000, message: 'every device connected' });
  }

  start(): void {
    const perTick = (this.rate * TICK_MS) / 1000 / this.loads.length;
    let credit = 0;
    this.timer = setInterval(() => {
      credit += perTick;
      const n = Math.floor(credit);
      credit -= n;
      for (const load of this.loads) for (let i = 0; i < n && load.inFlight < MAX_IN_FLIGHT; i++) this.publish(load);
    }, TICK_MS);
  }

  private publish(load: DeviceLoad): void {
    const seq = load.next++;
    load.inFlight++;
    const sentAt = Date.now();
    // One millisecond per sequence number, a day back (the platform refuses future timestamps):
    // time order is sequence order.
    const payload = JSON.stringify({ ts: this.startedAt - 86_400_000 + seq, value: seq });
    load.client.publish(`v1/devices/${load.device.id}/telemetry`, payload, { qos: 1 }, (error) => {
      load.inFlight--;
      if (error) return; // only a closed client reports one; the message was not acknowledged
      load.acked.add(seq);
      load.ackLatencyMs.push(Date.now() - sentAt);
    });
  }

  /** Stops publishing new messages and waits until every message sent was acknowledged. */
  async stop(timeoutMs = 180_000): Promise<void> {
    clearInterval(this.timer);
    await waitFor(() => this.loads.every((l) => l.inFlight === 0), { timeoutMs, intervalMs: 200, message: `every message acknowledged (${this.inFlight} in flight)` });
  }

  get sent(): number {
    return this.loads.reduce((n, l) => n + l.next, 0);
  }

  get acknowledged(): number {
    return this.loads.reduce((n, l) => n + l.acked.size, 0);
  }

  get inFlight(): number {
    return this.loads.reduce((n, l) => n + l.inFlight, 0);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.loads.map((l) => l.client.endAsync(true)));
  }

  /**
   * Compares every acknowledged message with InfluxDB, once the stored count reached the
   * acknowledged one (or `timeoutMs` passed): lost = acknowledged but absent, duplicated = stored
   * more than once. `ordered`: every device's points, in time order, carry rising sequence numbers.
   */
  async compare(influx: FreshInflux, timeoutMs: number): Promise<{ acknowledged: number; stored: number; lost: number; duplicated: number; ordered: boolean }> {
    const base = new URL(influx.url);
    const root = `${base.protocol}//${base.host}`;
    const ids = this.loads.map((l) => l.device.id);
    const pattern = `^(${ids.map((id) => id.replace(/[^A-Za-z0-9_-]/g, '')).join('|')})$`;
    const countStored = async () => {
      const rows = await influxRows(root, influx.name, `SELECT count("value") FROM "fire" WHERE "device_id" =~ /${pattern}/`);
      return Number(rows[0]?.count ?? 0);
    };
    await waitFor(async () => (await countStored()) >= this.acknowledged, { timeoutMs, intervalMs: 500, message: 'InfluxDB holds as many points as were acknowledged' }).catch(() => undefined);
    let stored = 0;
    let lost = 0;
    let duplicated = 0;
    let ordered = true;
    for (const load of this.loads) {
      const rows = await influxRows(root, influx.name, `SELECT "value" FROM "fire" WHERE "device_id" = '${load.device.id}' ORDER BY time`);
      const seen = new Map<number, number>();
      let last = -1;
      for (const row of rows) {
        const seq = Number(row.value);
        seen.set(seq, (seen.get(seq) ?? 0) + 1);
        if (seq <= last) ordered = false;
        last = seq;
      }
      stored += rows.length;
      for (const seq of load.acked) if (!seen.has(seq)) lost++;
      for (const n of seen.values()) if (n > 1) duplicated += n - 1;
    }
    return { acknowledged: this.acknowledged, stored, lost, duplicated, ordered };
  }

  /** PUBACK latency percentiles over every acknowledged message, in ms. */
  latency(): { p50: number; p99: number } {
    const all = this.loads.flatMap((l) => l.ackLatencyMs).sort((a, b) => a - b);
    const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))] ?? 0;
    return { p50: at(0.5), p99: at(0.99) };
  }
}
