import { eventPoint, pointTimestamp, readingPoint } from './influx-points';
import type { DeviceProfile } from './device-profile';

const device = (kind: DeviceProfile['kind'], subtype: string | null = null): DeviceProfile => ({ id: 'd1', communityId: 'c1', kind, subtype, disabled: false, secretHash: '' });

describe('InfluxDB points (contract §3)', () => {
  it('stores fire flags as separate boolean fields, tagged with the subtype', () => {
    expect(readingPoint(device('fire', 'hydrant_pressure'), { ts: 1, value: 320, flags: { fire: false, fault: true } }, '1000000')).toEqual({
      measurement: 'fire',
      tags: { community_id: 'c1', device_id: 'd1', subtype: 'hydrant_pressure' },
      fields: { value: 320, fire: false, fault: true },
      timestamp: '1000000',
    });
  });

  it('tags vehicle events with the lane', () => {
    const p = eventPoint(device('gate'), { type: 'vehicle', lane: 'out-2', direction: 'out', plate: '沪AD12345', confidence: 0.8 }, '1');
    expect(p).toEqual({ measurement: 'gate', tags: { community_id: 'c1', device_id: 'd1', lane: 'out-2' }, fields: { event: 'vehicle', plate: '沪AD12345', direction: 'out', confidence: 0.8 }, timestamp: '1' });
  });

  it('keeps two readings of a device in the same millisecond apart', () => {
    const a = pointTimestamp(1_795_000_000_000, Buffer.from('{"value":1}'), 0);
    const b = pointTimestamp(1_795_000_000_000, Buffer.from('{"value":2}'), 0);
    expect(a).not.toBe(b);
    expect(a.startsWith('1795000000000')).toBe(true);
    expect(a).toHaveLength(19);
    expect(pointTimestamp(1_795_000_000_000, Buffer.from('{"value":1}'), 1)).not.toBe(a);
  });

  // Issue 9: a device resends a message it got no PUBACK for; the WAL replays what InfluxDB may already hold.
  it('gives a resent or replayed message the same timestamps, so it overwrites instead of doubling', () => {
    const message = Buffer.from('{"ts":1795000000000,"value":1}');
    expect(pointTimestamp(1_795_000_000_000, message, 0)).toBe(pointTimestamp(1_795_000_000_000, Buffer.from(message), 0));
  });
});
