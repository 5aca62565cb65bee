import { DirtySet, foldCounts } from './supervision';

describe('supervision counts', () => {
  it('folds alarms by severity, online/offline devices, open cases with the nearest deadline and open/overdue complaints per community', () => {
    const counts = foldCounts(
      ['a', 'b'],
      [
        { communityId: 'a', severity: 1, count: 2 },
        { communityId: 'a', severity: 3, count: 1 },
        { communityId: 'x', severity: 1, count: 9 },
      ],
      [
        { communityId: 'a', online: true },
        { communityId: 'a', online: false },
        { communityId: 'b', online: false },
      ],
      [
        { communityId: 'b', open: 2, nextDeadline: new Date('2026-03-02T00:00:00Z') },
        { communityId: 'b', open: 1, nextDeadline: new Date('2026-03-01T00:00:00Z') },
      ],
      [
        { communityId: 'b', open: 3, overdue: 1 },
        { communityId: 'x', open: 5, overdue: 5 },
      ],
    );
    expect(counts.get('a')).toEqual({
      alarms: { total: 3, bySeverity: { '1': 2, '2': 0, '3': 1, '4': 0, '5': 0 } },
      devices: { total: 2, online: 1, offline: 1 },
      fundCases: { open: 0, nextDeadline: null },
      complaints: { open: 0, overdue: 0 },
    });
    expect(counts.get('b')).toMatchObject({ devices: { total: 1, online: 0, offline: 1 }, fundCases: { open: 3, nextDeadline: '2026-03-01T00:00:00.000Z' }, complaints: { open: 3, overdue: 1 } });
    expect(counts.has('x')).toBe(false);
  });

  it('coalesces repeated marks of a community into one flush', () => {
    const d = new DirtySet();
    d.mark('a');
    d.mark('a');
    d.mark('b');
    expect(d.take().sort()).toEqual(['a', 'b']);
    expect(d.take()).toEqual([]);
  });
});
