import { PointClock, eventPoint, readingPoint } from './influx-points';
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

  it('keeps two readings of one millisecond apart in nanoseconds', () => {
    const clock = new PointClock();
    const a = clock.timestamp('d1', 1_795_000_000_000);
    const b = clock.timestamp('d1', 1_795_000_000_000);
    expect(a).not.toBe(b);
    expect(a.startsWith('1795000000000')).toBe(true);
    expect(a).toHaveLength(19);
    expect(clock.timestamp('d2', 1_795_000_000_000)).toBe('1795000000000001000');
  });

  it('keeps readings of two ingest processes apart even with the same counter', () => {
    const first = new PointClock(1).timestamp('d1', 1_795_000_000_000);
    const second = new PointClock(2).timestamp('d1', 1_795_000_000_000);
    expect(first).toBe('1795000000000001001');
    expect(second).toBe('1795000000000001002');
  });
});
