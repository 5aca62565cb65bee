import { randomUUID } from 'node:crypto';
import type { DeviceCommand } from '@app/contracts';
import { DeviceConnection } from '../device-connection';
import { PlatformClient } from '../rest-client';
import { adminClient, type GlobalOptions, type Reporter, shortId } from './common';

/**
 * Gate scenarios against a running platform: one parking gate plays a booked arrival, a visitor,
 * an emergency vehicle (应急 plate), an unreadable plate and a duplicate exit event, and each
 * case's expected command is compared with the one the platform sends on the gate's commands topic.
 */
export interface GateCase {
  name: string;
  lane: string;
  direction: 'in' | 'out';
  plate: string;
  expected: { cmd: 'open' | 'hold'; reason?: string };
}

export interface GateCaseResult extends GateCase {
  observed: { cmd: string; reason?: string } | null;
  ok: boolean;
  ms: number;
}

export interface GateScenarioOptions extends GlobalOptions {
  /** How long to wait for each command (ms). */
  wait: number;
}

/** The cases in order; the plates are fresh for each run so earlier runs do not interfere. */
export function gateCases(bookedPlate: string, visitorPlate: string): GateCase[] {
  return [
    { name: 'booked arrival', lane: 'in-1', direction: 'in', plate: bookedPlate, expected: { cmd: 'open', reason: 'booking' } },
    { name: 'visitor', lane: 'in-1', direction: 'in', plate: visitorPlate, expected: { cmd: 'open', reason: 'visitor' } },
    { name: 'emergency vehicle', lane: 'in-2', direction: 'in', plate: '京X2345应急', expected: { cmd: 'open', reason: 'emergency' } },
    { name: 'unreadable plate', lane: 'in-2', direction: 'in', plate: '无牌车', expected: { cmd: 'hold', reason: 'unreadable_plate' } },
    { name: 'visitor exits', lane: 'out-1', direction: 'out', plate: visitorPlate, expected: { cmd: 'open', reason: 'exit' } },
    // A second exit event for the same car (camera repeat): the gate still opens, nothing is closed twice.
    { name: 'duplicate exit event', lane: 'out-1', direction: 'out', plate: visitorPlate, expected: { cmd: 'open' } },
  ];
}

export function matches(expected: GateCase['expected'], observed: GateCaseResult['observed']): boolean {
  if (!observed) return false;
  return observed.cmd === expected.cmd && (expected.reason === undefined || observed.reason === expected.reason);
}

/** A random plate 粤Bnnnnn (digits only, so it always parses) with the given letter after the city code. */
function plate(letter: string): string {
  return `粤B${letter}${String(Math.floor(Math.random() * 9000) + 1000)}`;
}

async function user(api: PlatformClient, baseUrl: string, communityId: string, username: string): Promise<{ id: string; client: PlatformClient }> {
  const password = `pw-${randomUUID()}`;
  const u = await api.request<{ id: string }>('POST', '/api/v1/users', { username, password, role: 'owner', scope: { level: 'community', communityIds: [communityId] } });
  const client = new PlatformClient(baseUrl);
  await client.login(username, password);
  return { id: u.id, client };
}

/**
 * REST set-up: a community (unless --community), the gate, a common slot for visitors, an owner
 * whose slot is shared all week, and a guest's booking of it starting in a minute.
 */
async function setUp(api: PlatformClient, opts: GateScenarioOptions, reporter: Reporter, bookedPlate: string) {
  let communityId = opts.community;
  if (!communityId) {
    const c = await api.createCommunity({ name: `道闸场景 ${new Date().toISOString().slice(0, 16)}`, district: '徐汇区', street: '天平路街道', buildings: [] });
    communityId = c.id;
    reporter.info(`created community ${c.name} (${communityId})`, { communityId });
  }
  const tag = randomUUID().slice(0, 6);
  const gate = await api.provisionDevice({ id: `${shortId(communityId)}-gate-scn`, communityId, kind: 'gate', name: '场景道闸', location: '北门' });
  await api.request('POST', '/api/v1/parking/slots', { communityId, code: `SIM-V-${tag}`, location: '地面访客区', ownership: 'common' });
  const owner = await user(api, opts.api, communityId, `sim-owner-${tag}`);
  const slot = await api.request<{ id: string }>('POST', '/api/v1/parking/slots', { communityId, code: `SIM-${tag}`, location: '地下一层', ownership: 'private', ownerId: owner.id });
  const allWeek = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));
  await owner.client.request('POST', `/api/v1/parking/slots/${slot.id}/windows`, { weekly: allWeek });
  const guest = await user(api, opts.api, communityId, `sim-guest-${tag}`);
  const start = Date.now() + 60_000;
  const booking = await guest.client.request<{ id: string }>('POST', '/api/v1/parking/bookings', { slotId: slot.id, plate: bookedPlate, startsAt: start, endsAt: start + 2 * 3600_000 });
  reporter.info(`owner sim-owner-${tag} shares slot SIM-${tag} all week; sim-guest-${tag} booked it for ${bookedPlate} (${booking.id})`, { slotId: slot.id, bookingId: booking.id });
  return { communityId, gate };
}

/** Publishes each case's vehicle event and waits for the gate command that answers it. */
export async function playCases(conn: DeviceConnection, cases: GateCase[], waitMs: number): Promise<GateCaseResult[]> {
  const results: GateCaseResult[] = [];
  for (const c of cases) {
    const started = Date.now();
    const observed = await new Promise<DeviceCommand | null>((resolve) => {
      const timer = setTimeout(() => done(null), waitMs);
      const onCommand = (cmd: DeviceCommand) => {
        if (cmd.lane === c.lane) done(cmd);
      };
      function done(cmd: DeviceCommand | null) {
        clearTimeout(timer);
        conn.off('command', onCommand);
        resolve(cmd);
      }
      conn.on('command', onCommand);
      conn.publishEvent({ type: 'vehicle', lane: c.lane, direction: c.direction, plate: c.plate, confidence: c.plate === '无牌车' ? 0.2 : 0.95 });
    });
    const obs = observed ? { cmd: observed.cmd, reason: typeof observed.reason === 'string' ? observed.reason : undefined } : null;
    results.push({ ...c, observed: obs, ok: matches(c.expected, obs), ms: Date.now() - started });
  }
  return results;
}

const show = (x: { cmd: string; reason?: string } | null) => (x ? `${x.cmd}${x.reason ? `/${x.reason}` : ''}` : '(none)');

export async function runGateScenarios(opts: GateScenarioOptions, reporter: Reporter): Promise<GateCaseResult[]> {
  const api = await adminClient(opts);
  const bookedPlate = plate('D');
  const visitorPlate = plate('V');
  const { communityId, gate } = await setUp(api, opts, reporter, bookedPlate);
  const conn = new DeviceConnection(gate, { url: opts.mqtt, protocolVersion: opts.protocol, reconnectPeriod: 0 });
  await conn.connect();
  // The commands subscription goes out right after CONNACK, before any event: the broker handles it first.
  reporter.info(`gate ${gate.id} in community ${communityId} connected; playing ${gateCases(bookedPlate, visitorPlate).length} cases`);
  try {
    const results = await playCases(conn, gateCases(bookedPlate, visitorPlate), opts.wait);
    for (const r of results) {
      reporter.record(
        'case',
        { name: r.name, plate: r.plate, direction: r.direction, lane: r.lane, expected: r.expected, observed: r.observed, ok: r.ok, ms: r.ms },
        `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(22)} ${r.direction.padEnd(3)} ${r.plate.padEnd(10)} expected ${show(r.expected).padEnd(24)} observed ${show(r.observed)} (${r.ms} ms)`,
      );
    }
    const failed = results.filter((r) => !r.ok).length;
    reporter.record('summary', { cases: results.length, failed }, failed ? `${failed} of ${results.length} cases did not match` : `all ${results.length} cases matched`);
    return results;
  } finally {
    await conn.close();
  }
}
