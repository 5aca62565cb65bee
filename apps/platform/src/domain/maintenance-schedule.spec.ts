import { CERTIFICATE_MISSING_GRACE_DAYS, certificateMissing, certificateStatus, dueItems, satisfiedBy, visitItems, visitKinds } from './maintenance-schedule';

const at = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const DAY = 86_400_000;

describe('maintenance due dates (TSG T5002-2017 elevators, GB 25201-2010 fire equipment)', () => {
  it('a new elevator plan is due half-monthly 15 days after its start, the longer items later (TSG T5002 半月/季度/半年/年度)', () => {
    const items = dueItems('tsg_t5002', at('2026-01-01'), [], at('2026-01-10'));
    expect(items.map((i) => [i.kind, new Date(i.dueAt).toISOString().slice(0, 10), i.overdue])).toEqual([
      ['half_monthly', '2026-01-16', false],
      ['quarterly', '2026-04-01', false],
      ['half_yearly', '2026-07-02', false],
      ['yearly', '2027-01-01', false],
    ]);
  });

  it('no visit for more than 15 days: the half-monthly item is overdue, the others are not', () => {
    const items = dueItems('tsg_t5002', at('2026-01-01'), [], at('2026-01-16') + 1);
    expect(items.filter((i) => i.overdue).map((i) => i.kind)).toEqual(['half_monthly']);
    // exactly at the due instant it is still on time
    expect(dueItems('tsg_t5002', at('2026-01-01'), [], at('2026-01-16'))[0].overdue).toBe(false);
  });

  it('a visit restarts its interval from the visit', () => {
    const items = dueItems('tsg_t5002', at('2026-01-01'), [{ kind: 'half_monthly', at: at('2026-01-14') }], at('2026-01-20'));
    expect(items[0]).toEqual({ kind: 'half_monthly', lastAt: at('2026-01-14'), dueAt: at('2026-01-29'), overdue: false });
  });

  it('a quarterly visit includes the half-monthly items, not the other way round (TSG T5002 Annex A: 除符合半月维护保养的项目外)', () => {
    expect(satisfiedBy('quarterly')).toEqual(['half_monthly', 'quarterly']);
    expect(satisfiedBy('yearly')).toEqual(['half_monthly', 'quarterly', 'half_yearly', 'yearly']);
    const items = dueItems('tsg_t5002', at('2026-01-01'), [{ kind: 'quarterly', at: at('2026-03-20') }, { kind: 'half_monthly', at: at('2026-03-10') }], at('2026-04-02'));
    expect(items.find((i) => i.kind === 'half_monthly')?.lastAt).toBe(at('2026-03-20'));
    expect(items.find((i) => i.kind === 'quarterly')?.overdue).toBe(false);
    // half-monthly visits alone leave the quarterly item overdue after 90 days
    const halfOnly = dueItems('tsg_t5002', at('2026-01-01'), [{ kind: 'half_monthly', at: at('2026-03-25') }], at('2026-04-02'));
    expect(halfOnly.filter((i) => i.overdue).map((i) => i.kind)).toEqual(['quarterly']);
  });

  it('fire equipment: a monthly inspection and a yearly test, each on its own (GB 25201-2010 月检查, 年度检测)', () => {
    const visits = [{ kind: 'annual_test' as const, at: at('2026-01-05') }];
    const items = dueItems('gb_25201', at('2026-01-01'), visits, at('2026-02-02'));
    expect(items.map((i) => [i.kind, i.overdue])).toEqual([
      ['monthly_inspection', true],
      ['annual_test', false],
    ]);
    expect(satisfiedBy('annual_test')).toEqual(['annual_test']);
  });

  it('an inspection certificate warns 30 days before its expiry and is expired from it', () => {
    const expires = at('2026-03-01');
    expect(certificateStatus(expires, expires - 31 * DAY)).toBe('valid');
    expect(certificateStatus(expires, expires - 30 * DAY)).toBe('expiring');
    expect(certificateStatus(expires, expires - 1)).toBe('expiring');
    expect(certificateStatus(expires, expires)).toBe('expired');
    expect(certificateStatus(null, expires)).toBe('missing');
  });
});

describe('a missing inspection certificate (特种设备安全法 Art. 32–33: use-registration within 30 days of putting into use)', () => {
  const DAY = 86_400_000;
  const registered = Date.parse('2026-03-01T00:00:00Z');

  it('is not missing during the 30-day grace period after registration', () => {
    expect(CERTIFICATE_MISSING_GRACE_DAYS).toBe(30);
    expect(certificateMissing(registered, false, registered)).toBe(false);
    expect(certificateMissing(registered, false, registered + 30 * DAY - 1)).toBe(false);
  });

  it('is missing from the end of the grace period while no certificate is on record', () => {
    expect(certificateMissing(registered, false, registered + 30 * DAY)).toBe(true);
    expect(certificateMissing(registered, false, registered + 400 * DAY)).toBe(true);
  });

  it('is never missing once a certificate is on record, however old (expiry has its own alarms)', () => {
    expect(certificateMissing(registered, true, registered + 400 * DAY)).toBe(false);
  });

  it('takes another grace period when given one', () => {
    expect(certificateMissing(registered, false, registered + 10 * DAY, 7)).toBe(true);
    expect(certificateMissing(registered, false, registered + 6 * DAY, 7)).toBe(false);
  });
});

describe('the item list of each kind of visit', () => {
  it('lists items for every kind, none twice within a kind', () => {
    for (const kind of visitKinds) {
      expect(visitItems[kind].length).toBeGreaterThan(0);
      expect(new Set(visitItems[kind]).size).toBe(visitItems[kind].length);
    }
  });
});
