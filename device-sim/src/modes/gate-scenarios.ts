import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import type { DeviceCommand } from '@app/contracts';
import { DeviceConnection } from '../device-connection';
import { ApiError, PlatformClient } from '../rest-client';
import { adminClient, type GlobalOptions, type Reporter, shortId, sleep } from './common';

/**
 * Gate scenarios against a running platform: one parking gate plays a booked arrival, a visitor,
 * an emergency vehicle (应急 plate), an unreadable plate and a duplicate exit event, and each
 * case's expected command is compared with the one the platform sends on the gate's commands topic.
 * Then an overstay: a guest's car enters on a booking ending seconds later, stays until the
 * platform records the overstay (the guest's 'parking.overstay' socket event), is read at the
 * exit, where the lane holds (payment_due) and the session's bill must carry an overstay penalty;
 * the bill is paid in cash through REST and the lane must get 'open' (paid). It needs PARKING_DEPARTURE_GRACE_MIN=0 on the
 * platform (else it would wait the grace out) and is skipped otherwise.
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
  /** A check beyond the gate command that failed (overstay notice, bill). */
  problem?: string;
  /** The overstay exit: the bill of the session it closed. */
  bill?: { id: string; sessionId: string; amountFen: number; overstayFen: number };
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

async function user(api: PlatformClient, baseUrl: string, communityId: string, username: string): Promise<{ id: string; client: PlatformClient; password: string }> {
  const password = `pw-${randomUUID()}`;
  const u = await api.request<{ id: string }>('POST', '/api/v1/users', { username, password, role: 'owner', scope: { level: 'community', communityIds: [communityId] } });
  const client = new PlatformClient(baseUrl);
  await client.login(username, password);
  return { id: u.id, client, password };
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
  const booking = await guest.client.request<{ id: string; departureGraceMin: number }>('POST', '/api/v1/parking/bookings', { slotId: slot.id, plate: bookedPlate, startsAt: start, endsAt: start + 2 * 3600_000 });
  reporter.info(`owner sim-owner-${tag} shares slot SIM-${tag} all week; sim-guest-${tag} booked it for ${bookedPlate} (${booking.id})`, { slotId: slot.id, bookingId: booking.id });
  // Bookings carry the platform's departure grace (PARKING_DEPARTURE_GRACE_MIN) of the time they were made.
  return { communityId, gate, tag, owner, departureGraceMin: booking.departureGraceMin };
}

/** Publishes each case's vehicle event and waits for the gate command that answers it. */
/** The next command for a lane that no vehicle event of ours asked for (a lane opened on payment). */
function nextCommand(conn: DeviceConnection, lane: string, waitMs: number): Promise<DeviceCommand | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(null), waitMs);
    const onCommand = (cmd: DeviceCommand) => {
      if (cmd.lane === lane) done(cmd);
    };
    function done(cmd: DeviceCommand | null) {
      clearTimeout(timer);
      conn.off('command', onCommand);
      resolve(cmd);
    }
    conn.on('command', onCommand);
  });
}

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

interface OverstayNotice {
  bookingId: string;
  userId: string;
  plate: string;
  dueAt: number;
  ownerNeedsSlot: boolean;
}

interface Tariff {
  version: number;
  rules: { overstay?: { graceMinutes: number; unitMinutes: number; unitPriceFen: number } };
}

interface Bill {
  id: string;
  sessionId: string;
  amountFen: number;
  paidFen?: number;
  overstayFen: number;
  breakdown?: { lines?: Array<{ kind: string; amountFen: number }> };
}

/** Polls `get` until it returns a value (a 404 counts as "not yet") or `ms` pass. */
async function poll<T>(ms: number, get: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await get();
      if (v !== undefined) return v;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(200);
  }
}

/** The tariff in force if it has an overstay rate, else a new version with one (audited by the platform). */
async function overstayTariff(api: PlatformClient, communityId: string, reporter: Reporter): Promise<Tariff> {
  const current = await api.request<Tariff>('GET', `/api/v1/billing/communities/${communityId}/tariffs/current`).catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  });
  if (current?.rules.overstay) return current;
  const created = await api.request<Tariff>('POST', `/api/v1/billing/communities/${communityId}/tariffs`, {
    setBy: 'owners_assembly',
    filingNumber: 'SIM-备〔2025〕001号',
    effectiveFrom: new Date(Date.now() - 60_000).toISOString(),
    rules: {
      freeMinutes: 15,
      pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] },
      overstay: { graceMinutes: 10, unitMinutes: 30, unitPriceFen: 800 },
    },
  });
  reporter.info(`tariff version ${created.version} with an overstay rate (8 yuan per started 30 min) set for community ${communityId}`, { tariffVersion: created.version });
  return created;
}

/**
 * The overstay case: a second shared slot, a guest booking from now to a few seconds on, entry
 * (open/booking), the guest's 'parking.overstay' socket event (the platform's overstay record at
 * end + departure grace; no REST endpoint shows it before the exit), exit (hold/payment_due: pay
 * before leaving), the session's bill with an overstay penalty, and once it is paid in cash the
 * lane's open/paid.
 */
async function playOverstay(
  api: PlatformClient,
  conn: DeviceConnection,
  opts: GateScenarioOptions,
  reporter: Reporter,
  ctx: { communityId: string; tag: string; owner: { id: string; client: PlatformClient } },
): Promise<GateCaseResult[]> {
  await overstayTariff(api, ctx.communityId, reporter);
  const slot = await api.request<{ id: string }>('POST', '/api/v1/parking/slots', { communityId: ctx.communityId, code: `SIM-O-${ctx.tag}`, location: '地下一层', ownership: 'private', ownerId: ctx.owner.id });
  const allWeek = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));
  await ctx.owner.client.request('POST', `/api/v1/parking/slots/${slot.id}/windows`, { weekly: allWeek });
  const username = `sim-late-${ctx.tag}`;
  const guest = await user(api, opts.api, ctx.communityId, username);
  const { accessToken } = await new PlatformClient(opts.api).request<{ accessToken: string }>('POST', '/api/v1/auth/login', { username, password: guest.password }, false);
  const socket = io(opts.api, { auth: { token: accessToken }, transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket.io connect timed out')), 5000);
      socket.once('connect', () => (clearTimeout(timer), resolve()));
      socket.once('connect_error', (e) => (clearTimeout(timer), reject(e)));
    });
    const latePlate = plate('L');
    const startsAt = Date.now();
    const endsAt = startsAt + 4_000;
    const booking = await guest.client.request<{ id: string }>('POST', '/api/v1/parking/bookings', { slotId: slot.id, plate: latePlate, startsAt, endsAt });
    reporter.info(`${username} booked SIM-O-${ctx.tag} for ${latePlate} until ${new Date(endsAt).toISOString()} (${booking.id})`, { bookingId: booking.id });
    const notice = new Promise<OverstayNotice | null>((resolve) => {
      const timer = setTimeout(() => done(null), endsAt - Date.now() + opts.wait + 15_000);
      const onNotice = (e: OverstayNotice) => {
        if (e.bookingId === booking.id) done(e);
      };
      function done(e: OverstayNotice | null) {
        clearTimeout(timer);
        socket.off('parking.overstay', onNotice);
        resolve(e);
      }
      socket.on('parking.overstay', onNotice);
    });

    const [entry] = await playCases(conn, [{ name: 'overstay entry', lane: 'in-1', direction: 'in', plate: latePlate, expected: { cmd: 'open', reason: 'booking' } }], opts.wait);
    const told = await notice;
    if (told) reporter.info(`the platform recorded the overstay of ${latePlate} (due ${new Date(told.dueAt).toISOString()}) and told the guest`);
    const [exit] = await playCases(conn, [{ name: 'overstay exit', lane: 'out-1', direction: 'out', plate: latePlate, expected: { cmd: 'hold', reason: 'payment_due' } }], opts.wait);
    const problems: string[] = [];
    if (!told) problems.push('no parking.overstay event for the booking');
    const sessionId = await poll(opts.wait + 10_000, async () => {
      const sessions = await api.request<Array<{ id: string; plate: string; status: string }>>('GET', `/api/v1/parking/sessions?communityId=${ctx.communityId}`);
      return sessions.find((s) => s.plate === latePlate && s.status === 'closed')?.id;
    });
    let bill: Bill | undefined;
    if (!sessionId) problems.push(`no closed session for ${latePlate}`);
    else {
      bill = await poll(opts.wait + 10_000, () => api.request<Bill>('GET', `/api/v1/billing/sessions/${sessionId}/bill`));
      if (!bill) problems.push(`no bill for session ${sessionId}`);
      else if (!(bill.overstayFen > 0) || !bill.breakdown?.lines?.some((l) => l.kind === 'overstay' && l.amountFen > 0)) problems.push(`bill ${bill.id} has no overstay penalty (overstayFen ${bill.overstayFen})`);
    }
    const problem = problems.length ? problems.join('; ') : undefined;
    const paidCase: GateCase = { name: 'overstay paid', lane: 'out-1', direction: 'out', plate: latePlate, expected: { cmd: 'open', reason: 'paid' } };
    let paid: GateCaseResult = { ...paidCase, observed: null, ok: false, ms: 0, problem: 'no bill to pay' };
    if (bill) {
      const started = Date.now();
      const opened = nextCommand(conn, 'out-1', opts.wait);
      await api.request('POST', `/api/v1/billing/bills/${bill.id}/payments`, { provider: 'cash', amountFen: bill.amountFen - (bill.paidFen ?? 0), reference: `SIM-${ctx.tag}` });
      reporter.info(`bill ${bill.id} paid in cash (${bill.amountFen} fen): the held lane should open`);
      const observed = await opened;
      const obs = observed ? { cmd: observed.cmd, reason: typeof observed.reason === 'string' ? observed.reason : undefined } : null;
      paid = { ...paidCase, observed: obs, ok: matches(paidCase.expected, obs), ms: Date.now() - started };
    }
    return [
      entry,
      {
        ...exit,
        ok: exit.ok && !problem,
        ...(problem ? { problem } : {}),
        ...(bill ? { bill: { id: bill.id, sessionId: bill.sessionId, amountFen: bill.amountFen, overstayFen: bill.overstayFen } } : {}),
      },
      paid,
    ];
  } finally {
    socket.disconnect();
  }
}

const show = (x: { cmd: string; reason?: string } | null) => (x ? `${x.cmd}${x.reason ? `/${x.reason}` : ''}` : '(none)');

export async function runGateScenarios(opts: GateScenarioOptions, reporter: Reporter): Promise<GateCaseResult[]> {
  const api = await adminClient(opts);
  const bookedPlate = plate('D');
  const visitorPlate = plate('V');
  const { communityId, gate, tag, owner, departureGraceMin } = await setUp(api, opts, reporter, bookedPlate);
  const conn = new DeviceConnection(gate, { url: opts.mqtt, protocolVersion: opts.protocol, reconnectPeriod: 0 });
  await conn.connect();
  // The commands subscription goes out right after CONNACK, before any event: the broker handles it first.
  reporter.info(`gate ${gate.id} in community ${communityId} connected; playing ${gateCases(bookedPlate, visitorPlate).length} cases`);
  try {
    const results = await playCases(conn, gateCases(bookedPlate, visitorPlate), opts.wait);
    const skipped: string[] = [];
    if (departureGraceMin > 0) {
      skipped.push('overstay');
      reporter.record(
        'case',
        { name: 'overstay', skipped: true, reason: `needs PARKING_DEPARTURE_GRACE_MIN=0 (the platform has ${departureGraceMin} min)` },
        `skip  overstay: needs PARKING_DEPARTURE_GRACE_MIN=0 on the platform (it has ${departureGraceMin} min; the case would wait that long)`,
      );
    } else {
      results.push(...(await playOverstay(api, conn, opts, reporter, { communityId, tag, owner })));
    }
    for (const r of results) {
      const extra = `${r.bill ? ` bill ${r.bill.amountFen} fen (overstay ${r.bill.overstayFen})` : ''}${r.problem ? ` — ${r.problem}` : ''}`;
      reporter.record(
        'case',
        { name: r.name, plate: r.plate, direction: r.direction, lane: r.lane, expected: r.expected, observed: r.observed, ok: r.ok, ms: r.ms, ...(r.problem ? { problem: r.problem } : {}), ...(r.bill ? { bill: r.bill } : {}) },
        `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(22)} ${r.direction.padEnd(3)} ${r.plate.padEnd(10)} expected ${show(r.expected).padEnd(24)} observed ${show(r.observed)} (${r.ms} ms)${extra}`,
      );
    }
    const failed = results.filter((r) => !r.ok).length;
    reporter.record(
      'summary',
      { cases: results.length, failed, skipped },
      `${failed ? `${failed} of ${results.length} cases did not match` : `all ${results.length} cases matched`}${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}`,
    );
    return results;
  } finally {
    await conn.close();
  }
}
