/**
 * The daily cap across several entries of one plate (多次进出): two stays of the same plate on
 * one business day together never exceed the calendar-day cap; another plate, and the same plate
 * on the next day, are not affected.
 */
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { BillingService } from '../../apps/platform/src/services/billing.service';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const NOW = at('2025-03-10 07:00');

describe('billing: the daily cap across several entries of one plate', () => {
  let tp: TestPlatform;
  let communityId: string;
  const db = () => tp.platform.app.get(DatabaseRepository).db;

  const billStay = async (plate: string, entry: string, exit: string) => {
    const row = await db()
      .insertInto('parking_sessions')
      .values({ community_id: communityId, plate, plate_kind: 'regular', kind: 'visitor', status: 'closed', entry_at: at(entry), exit_at: at(exit), entry_reason: 'test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const result = await tp.platform.app.get(BillingService).billSession(row.id);
    return result!.bill;
  };

  beforeAll(async () => {
    tp = await startTestPlatform();
    tp.platform.app.get(ClockRepository).now = () => NOW.getTime();
    communityId = (await tp.createCommunity()).id;
    const res = await tp.api('POST', `billing/communities/${communityId}/tariffs`, {
      setBy: 'owners_assembly',
      filingNumber: '沪价备〔2025〕009',
      effectiveFrom: NOW.toISOString(),
      rules: {
        pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] },
        cap: { amountFen: 2000, window: 'calendarDay' },
      },
    });
    expect(res.status).toBe(201);
  });
  afterAll(() => tp?.close());

  it('two stays of one plate on one day pay 1200 + 800 = the 2000 cap; other plates and the next day are not affected', async () => {
    // 08:00–14:00: 12 units = 1200, under the cap.
    const first = await billStay('沪A30001', '2025-03-10 08:00', '2025-03-10 14:00');
    expect(Number(first.amount_fen)).toBe(1200);
    // 16:00–22:00: 12 units = 1200, but only 2000 − 1200 = 800 is left that day.
    const second = await billStay('沪A30001', '2025-03-10 16:00', '2025-03-10 22:00');
    expect(Number(second.amount_fen)).toBe(800);
    expect((second.breakdown as { lines: Array<{ kind: string; amountFen: number }> }).lines.filter((l) => l.kind === 'cap').map((l) => l.amountFen)).toEqual([-400]);
    // A third stay that day is free: the cap is used up.
    expect(Number((await billStay('沪A30001', '2025-03-10 22:30', '2025-03-10 23:30')).amount_fen)).toBe(0);
    // Another plate the same day pays in full.
    expect(Number((await billStay('沪A30002', '2025-03-10 16:00', '2025-03-10 22:00')).amount_fen)).toBe(1200);
    // The same plate on the next day starts a new window.
    expect(Number((await billStay('沪A30001', '2025-03-11 08:00', '2025-03-11 09:00')).amount_fen)).toBe(200);
    // Together, the plate never paid more than the cap on the 10th.
    const bills = await tp.api('GET', `billing/communities/${communityId}/bills?month=2025-03`);
    const tenth = bills.body.filter((b: { plate: string; exitAt: string }) => b.plate === '沪A30001' && b.exitAt < at('2025-03-11 00:00').toISOString());
    expect(tenth.reduce((sum: number, b: { amountFen: number }) => sum + b.amountFen, 0)).toBe(2000);
  });
});
