import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { connectAsync, type MqttClient } from 'mqtt';
import { latencySummary, machineInfo, resultsDir, simMain, startBenchPlatform, waitFor } from './support';

/**
 * Gate latency benchmark: starts the built platform as its own process (embedded broker, PGlite),
 * connects a gate device and measures vehicle event published → gate command received on the
 * device's commands topic (p50/p99), idle and with the simulator's load mode in the background;
 * then bookings per second (concurrent REST bookings of many different slots and times).
 * Writes bench/results/gate-latency-latest.{json,md}.
 */




async function main(): Promise<void> {
  const o = new Command('gate-bench')
    .option('--events <n>', 'vehicle events per phase', '400')
    .option('--load-rate <n>', 'background telemetry, messages per second', '22500')
    .option('--load-devices <n>', 'background device connections', '100')
    .option('--bookings <n>', 'booking requests', '2000')
    .option('--redis-url <url>', 'Redis', 'redis://127.0.0.1:6379')
    .option('--influx-url <url>', 'InfluxDB base URL', 'http://127.0.0.1:8086')
    .option('--out <dir>', 'results folder', resultsDir)
    .parse()
    .opts<{ events: string; loadRate: string; loadDevices: string; bookings: string; redisUrl: string; influxUrl: string; out: string }>();
  const platform = await startBenchPlatform('gate-bench', o);
  const { httpUrl, mqttUrl, adminPassword, dataDir } = platform;
  let gate: MqttClient | undefined;
  let background: ChildProcess | undefined;
  try {
    const api = async (method: string, path: string, body?: unknown, token?: string) => {
      const res = await fetch(`${httpUrl}/api/v1/${path}`, {
        method,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as any };
    };
    const admin = (await api('POST', 'auth/login', { username: 'admin', password: adminPassword })).body.accessToken as string;
    const community = (await api('POST', 'communities', { name: 'Gate bench', district: 'Bench', street: 'Bench', buildings: [{ name: '1', units: [{ number: '101', floorArea: '90.00' }] }] }, admin)).body;
    const owner = (await api('POST', 'users', { username: 'bench-owner', password: 'user-pass-123', role: 'owner', scope: { level: 'community', communityIds: [community.id] } }, admin)).body;
    const ownerToken = (await api('POST', 'auth/login', { username: 'bench-owner', password: 'user-pass-123' })).body.accessToken as string;
    const device = (await api('POST', 'devices', { communityId: community.id, kind: 'gate', name: 'bench gate' }, admin)).body;
    await api('POST', `units/${community.buildings[0].units[0].id}/occupants`, { userId: owner.id }, admin);
    await api('POST', 'parking/vehicles', { communityId: community.id, plate: '粤B12345' }, ownerToken);

    gate = await connectAsync(mqttUrl, { clientId: device.id, username: device.id, password: device.secret, protocolVersion: 4, reconnectPeriod: 0 });
    // Measure the platform, not Nagle's algorithm on this client's socket.
    (gate.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    await gate.subscribeAsync(`v1/devices/${device.id}/commands`, { qos: 1 });
    let waiting: ((cmd: { cmd: string }) => void) | undefined;
    gate.on('message', (_t, payload) => waiting?.(JSON.parse(payload.toString())));
    const measure = async (n: number) => {
      const samples: number[] = [];
      const wrong: string[] = [];
      for (let i = 0; i < n; i++) {
        const dir = i % 2 === 0 ? 'in' : 'out';
        const t0 = process.hrtime.bigint();
        const answered = new Promise<{ cmd: string }>((res) => (waiting = res));
        await gate!.publishAsync(`v1/devices/${device.id}/events`, JSON.stringify({ type: 'vehicle', lane: dir === 'in' ? 'in-1' : 'out-1', direction: dir, plate: '粤B12345' }), { qos: 1 });
        const cmd = await Promise.race([answered, new Promise<{ cmd: string }>((_, rej) => setTimeout(() => rej(new Error('no gate command within 5 s')), 5000))]);
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (cmd.cmd !== 'open') wrong.push(cmd.cmd);
      }
      const { p50, p99, max } = latencySummary(samples);
      return { events: n, p50Ms: p50, p99Ms: p99, maxMs: max, notOpen: wrong.length };
    };
    const events = Number(o.events);
    console.error(`[gate-bench] idle: ${events} vehicle events`);
    await measure(20); // warm-up
    const idle = await measure(events);

    console.error(`[gate-bench] background load ${o.loadRate} msg/s from ${o.loadDevices} devices`);
    const creds = join(dataDir, 'bench-devices.json');
    const common = ['--api', httpUrl, '--mqtt', mqttUrl, '--username', 'admin', '--password', adminPassword, '--data-dir', dataDir];
    await new Promise<void>((res, rej) => {
      const p = spawn(process.execPath, [simMain, ...common, 'provision', '--devices', o.loadDevices, '--credentials-out', creds], { stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`provision exited ${code}`))));
    });
    let loadOut = '';
    background = spawn(process.execPath, [simMain, ...common, '--credentials', creds, '--json', '--duration', '60', 'load', '--rate', o.loadRate, '--qos', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    background.stdout!.on('data', (d: Buffer) => (loadOut += d.toString()));
    await waitFor('the load to run', 60_000, async () => (loadOut.includes('"type":"progress"') ? true : undefined));
    const loaded = await measure(events);
    const progress = loadOut.split('\n').filter((l) => l.includes('"type":"progress"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    background.kill('SIGINT');
    await new Promise((r) => background!.once('exit', r));

    console.error(`[gate-bench] bookings: ${o.bookings} concurrent REST requests`);
    const slots = 100;
    const slotIds: string[] = [];
    const allWeek = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));
    for (let i = 0; i < slots; i++) {
      const slot = (await api('POST', 'parking/slots', { communityId: community.id, code: `B${i}`, location: 'bench', ownership: 'private', ownerId: owner.id }, admin)).body;
      await api('POST', `parking/slots/${slot.id}/windows`, { weekly: allWeek }, ownerToken);
      slotIds.push(slot.id);
    }
    const total = Number(o.bookings);
    const base = Date.now() + 24 * 3600_000;
    let next = 0;
    let ok = 0;
    let failed = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < total) {
          const i = next++;
          const start = base + Math.floor(i / slots) * 3 * 3600_000;
          const res = await api('POST', 'parking/bookings', { slotId: slotIds[i % slots], plate: '粤B54321', startsAt: start, endsAt: start + 3600_000 }, ownerToken);
          if (res.status === 201) ok++;
          else failed++;
        }
      }),
    );
    const bookingSeconds = (Date.now() - started) / 1000;
    const result = {
      benchmark: 'gate-latency',
      at: new Date().toISOString(),
      machine: machineInfo(),
      setup: { broker: 'embedded aedes', database: 'PGlite', eventsPerPhase: events, backgroundRate: Number(o.loadRate), backgroundDevices: Number(o.loadDevices) },
      gateLatency: { idle, underLoad: { ...loaded, backgroundProgress: progress.slice(-1)[0] ?? null } },
      bookings: { requests: total, created: ok, refused: failed, concurrency: 64, slots, perSecond: Math.round(ok / bookingSeconds) },
    };
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'gate-latency-latest.json'), JSON.stringify(result, null, 2) + '\n');
    const md = [
      `# Gate latency benchmark (${result.at})`,
      '',
      `Machine: ${result.machine.cpus} CPUs (${result.machine.cpuModel}), ${result.machine.memoryGiB} GiB. Embedded broker, PGlite.`,
      '',
      'Vehicle event published by the gate (QoS 1) → `open` command received on its commands topic:',
      '',
      '| phase | events | p50 ms | p99 ms | max ms | not open |',
      '|---|---|---|---|---|---|',
      `| idle | ${idle.events} | ${idle.p50Ms} | ${idle.p99Ms} | ${idle.maxMs} | ${idle.notOpen} |`,
      `| load ${o.loadRate} msg/s | ${loaded.events} | ${loaded.p50Ms} | ${loaded.p99Ms} | ${loaded.maxMs} | ${loaded.notOpen} |`,
      '',
      `Bookings: ${ok} created of ${total} concurrent REST requests (64 in flight, ${slots} slots, distinct times): **${result.bookings.perSecond} bookings/s**.`,
      '',
    ].join('\n');
    writeFileSync(join(o.out, 'gate-latency-latest.md'), md);
    process.stdout.write(md);
  } finally {
    background?.kill('SIGINT');
    await gate?.endAsync(true).catch(() => undefined);
    await platform.close();
  }
}

main().then(
  () => setTimeout(() => process.exit(0), 500).unref(),
  (error: unknown) => {
    console.error(`[gate-bench] ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
