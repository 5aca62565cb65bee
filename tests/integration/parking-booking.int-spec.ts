import fc from 'fast-check';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { ParkingBookingService } from '../../apps/platform/src/services/parking-booking.service';
import { AuthService } from '../../apps/platform/src/services/auth.service';
import type { AuthUser } from '../../apps/platform/src/services/auth-user';
import { overlaps } from '../../apps/platform/src/domain/parking-rules';

const allWeek = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));
const MIN = 60_000;

describe.each(['postgres', 'pglite'] as const)('parking bookings never overlap (%s)', (engine) => {
  let tp: TestPlatform;
  let pg: FreshPostgres | undefined;
  let service: ParkingBookingService;
  let owner: AuthUser;
  let communityId: string;

  beforeAll(async () => {
    if (engine === 'postgres') pg = await freshPostgresDatabase();
    tp = await startTestPlatform({ env: pg ? { DATABASE_URL: pg.url } : {} });
    communityId = (await tp.createCommunity()).id;
    owner = await tp.platform.app.get(AuthService).createUser(null, { username: `owner-${engine}`, password: 'user-pass-123', role: 'owner', scope: { level: 'community', communityIds: [communityId] } });
    service = tp.platform.app.get(ParkingBookingService);
  });
  afterAll(async () => {
    await tp?.close();
    await pg?.drop();
  });

  const newSlot = async (code: string) => {
    const admin = (await tp.api('GET', 'auth/me')).body as AuthUser;
    const slot = await service.createSlot(admin, { communityId, code, location: 'B2', ownership: 'private', ownerId: owner.id, fireLane: false });
    await service.setWindows(owner, slot.id, { weekly: allWeek, dates: [], exceptions: [] });
    return slot.id;
  };

  it('1,000 simultaneous requests for one slot: exactly one booking', async () => {
    const slotId = await newSlot('P1');
    const start = Date.now() + 48 * 3600_000;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) => service.book(owner, { slotId, plate: '粤B12345', startsAt: start + (i % 11) * MIN, endsAt: start + 90 * MIN + (i % 3) * MIN })),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(999);
    for (const r of refused) expect((r.reason as { getStatus(): number }).getStatus()).toBe(409);
  }, 180_000);

  it('property: concurrent random bookings are accepted exactly when they overlap no accepted one', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ start: fc.integer({ min: 0, max: 48 }), length: fc.integer({ min: 1, max: 12 }) }), { minLength: 1, maxLength: 12 }), async (requests) => {
        const slotId = await newSlot(`Q${n++}`);
        const base = Date.now() + 72 * 3600_000;
        const dep = tp.platform.config.parking.departureGraceMin * MIN;
        const periods = requests.map((r) => ({ start: base + r.start * 15 * MIN, end: base + (r.start + r.length) * 15 * MIN }));
        const outcomes = await Promise.allSettled(periods.map((p) => service.book(owner, { slotId, plate: '粤B12345', startsAt: p.start, endsAt: p.end })));
        const accepted = periods.filter((_, i) => outcomes[i].status === 'fulfilled').map((p) => ({ start: p.start, end: p.end + dep }));
        expect(accepted.length).toBeGreaterThanOrEqual(1);
        for (let i = 0; i < accepted.length; i++) for (let j = i + 1; j < accepted.length; j++) expect(overlaps(accepted[i], accepted[j])).toBe(false);
        periods.forEach((p, i) => {
          if (outcomes[i].status === 'rejected') expect(accepted.some((a) => overlaps(a, { start: p.start, end: p.end + dep }))).toBe(true);
        });
      }),
      { numRuns: 25 },
    );
  }, 180_000);
});
