import { parseDeviceMessage, readingCount } from './device-message';

const now = Date.UTC(2026, 10, 22, 8, 0, 0);
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const elevator = { mode: 'normal', direction: 'up', floor: -1, atLevel: false, door: 'closed', speed: 1.6, occupied: true, power: 'mains', safetyCircuit: 'closed' };

describe('parseDeviceMessage', () => {
  it('accepts a valid elevator reading and stamps it with the receive time when it has no ts', () => {
    const m = parseDeviceMessage('elevator', 'telemetry', json(elevator), now);
    expect(m).toEqual({ channel: 'telemetry', readings: [{ reading: elevator, ts: now }], rejections: [] });
  });

  it('keeps the good readings of a backfill array and rejects the bad one by index', () => {
    const m = parseDeviceMessage('elevator', 'telemetry', json([{ ...elevator, ts: now - 2000 }, { ...elevator, floor: 'three' }, { ...elevator, ts: now - 1000 }]), now);
    if (m.channel !== 'telemetry') throw new Error('wrong channel');
    expect(m.readings.map((r) => r.ts)).toEqual([now - 2000, now - 1000]);
    expect(m.rejections).toEqual([{ reason: 'schema', detail: expect.stringContaining('[1]floor') }]);
  });

  it('rejects a reading missing a required field', () => {
    const { door: _door, ...withoutDoor } = elevator;
    const m = parseDeviceMessage('elevator', 'telemetry', json(withoutDoor), now);
    expect(m.rejections).toEqual([{ reason: 'schema', detail: expect.stringContaining('door') }]);
  });

  it('rejects timestamps more than five minutes ahead, but not four', () => {
    const ahead = parseDeviceMessage('gate', 'telemetry', json({ barrier: 'open', ts: now + 5 * 60_000 + 1 }), now);
    expect(ahead.rejections[0].reason).toBe('future_timestamp');
    const fine = parseDeviceMessage('gate', 'telemetry', json({ barrier: 'open', ts: now + 4 * 60_000 }), now);
    expect(fine.rejections).toEqual([]);
  });

  // Found by tests/fuzz/mqtt-payload.e2e-spec.ts (seed 2073113668, case 7): `[]` on telemetry was
  // neither stored nor dead-lettered.
  it('dead-letters an empty backfill array instead of dropping it silently', () => {
    const m = parseDeviceMessage('elevator', 'telemetry', Buffer.from('[]'), now);
    expect(m).toEqual({ channel: 'telemetry', readings: [], rejections: [{ reason: 'schema', detail: 'empty backfill array' }] });
  });

  // Found by the same fuzzer: a reading with ts 0 was counted as accepted, then InfluxDB dropped it
  // ("points beyond retention policy"). Older than the raw retention is dead-lettered instead.
  it('rejects timestamps older than the raw retention, keeps ones just inside it', () => {
    const thirtyDays = 30 * 86_400_000;
    const old = parseDeviceMessage('gate', 'telemetry', json([{ barrier: 'open', ts: 0 }, { barrier: 'open', ts: now - thirtyDays + 60_000 }]), now, { maxAgeMs: thirtyDays });
    if (old.channel !== 'telemetry') throw new Error('wrong channel');
    expect(old.rejections.map((r) => r.reason)).toEqual(['expired_timestamp']);
    expect(old.readings.map((r) => r.ts)).toEqual([now - thirtyDays + 60_000]);
    expect(parseDeviceMessage('gate', 'events', json({ type: 'vehicle', lane: 'in-1', direction: 'in', plate: 'x', ts: 0 }), now, { maxAgeMs: thirtyDays }).rejections[0].reason).toBe('expired_timestamp');
  });

  it('rejects malformed JSON and oversize payloads', () => {
    expect(parseDeviceMessage('fire', 'telemetry', Buffer.from('{"value": 3'), now).rejections[0].reason).toBe('invalid_json');
    const big = Buffer.alloc(64 * 1024 + 1, 0x20);
    expect(parseDeviceMessage('fire', 'telemetry', big, now).rejections[0]).toEqual({ reason: 'oversize', detail: '65537 bytes, limit 65536' });
  });

  it('validates fire flags strictly and readings by subtype-free schema', () => {
    expect(parseDeviceMessage('fire', 'telemetry', json({ value: 320.5, flags: { fire: true } }), now).rejections).toEqual([]);
    expect(parseDeviceMessage('fire', 'telemetry', json({ flags: { smoke: true } }), now).rejections[0].reason).toBe('schema');
  });

  it('parses events of each kind', () => {
    const e = parseDeviceMessage('elevator', 'events', json({ type: 'trapped_not_level', active: true }), now);
    expect(e).toMatchObject({ channel: 'events', event: { event: { type: 'trapped_not_level', active: true }, ts: now } });
    const v = parseDeviceMessage('gate', 'events', json({ type: 'vehicle', lane: 'in-1', direction: 'in', plate: '粤BD12345', confidence: 0.93 }), now);
    expect(v).toMatchObject({ event: { event: { plate: '粤BD12345' } } });
    const unreadable = parseDeviceMessage('gate', 'events', json({ type: 'vehicle', lane: 'in-1', direction: 'in', plate: '' }), now);
    expect(unreadable.rejections).toEqual([]);
    expect(parseDeviceMessage('elevator', 'events', json({ type: 'explosion', active: true }), now).rejections[0].reason).toBe('schema');
  });

  it('reads status as JSON string or bare word', () => {
    expect(parseDeviceMessage('gate', 'status', json('offline'), now)).toMatchObject({ online: false });
    expect(parseDeviceMessage('gate', 'status', Buffer.from('online'), now)).toMatchObject({ online: true });
    expect(parseDeviceMessage('gate', 'status', Buffer.from('maybe'), now).rejections[0].reason).toBe('invalid_json');
  });

  it('parses command acknowledgements', () => {
    expect(parseDeviceMessage('gate', 'commands/ack', json({ id: 'c1', ok: false, error: 'jammed' }), now)).toMatchObject({ ack: { id: 'c1', ok: false } });
  });

  // Issue 8 item 3: a backfill is capped in readings, and each reading is charged to the rate limit.
  it('refuses a backfill of more than the maximum readings whole', () => {
    // Small gate readings, so 501 of them stay under the 64 KiB payload limit.
    const batch = (n: number) => json(Array.from({ length: n }, (_, i) => ({ barrier: 'open', ts: now - 1000 - i })));
    const full = parseDeviceMessage('gate', 'telemetry', batch(500), now);
    expect(full.channel === 'telemetry' && full.readings).toHaveLength(500);
    const over = parseDeviceMessage('gate', 'telemetry', batch(501), now);
    expect(over.channel === 'telemetry' && over.readings).toHaveLength(0);
    expect(over.rejections).toEqual([{ reason: 'too_many_readings', detail: '501 readings in one message, limit 500' }]);
    expect(parseDeviceMessage('gate', 'telemetry', batch(3), now, { maxReadings: 2 }).rejections[0].reason).toBe('too_many_readings');
  });

  it('counts the readings of a message for the rate limit', () => {
    expect(readingCount(json(elevator))).toBe(1);
    expect(readingCount(Buffer.from(' \n[1,2,3]'))).toBe(3);
    expect(readingCount(Buffer.from('[1,2'))).toBe(1);
    expect(readingCount(Buffer.from('[]'))).toBe(1);
  });
});
