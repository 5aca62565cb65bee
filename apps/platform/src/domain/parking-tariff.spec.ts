import { tariffRulesSchema, type TariffRulesInput } from '@app/contracts';
import { capUsageOf, isEmergencyPlate, isNewEnergyPlate, parseRatio, priceStay, type StayToPrice } from './parking-tariff';

const TZ = 'Asia/Shanghai';
/** Local Shanghai wall time → epoch ms. */
const at = (local: string) => Date.parse(`${local.replace(' ', 'T')}:00+08:00`);
const rules = (input: Partial<TariffRulesInput> = {}) =>
  tariffRulesSchema.parse({ pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] }, ...input });
const stay = (from: string, to: string, extra: Partial<StayToPrice> = {}): StayToPrice => ({
  entryAt: at(from),
  exitAt: at(to),
  plate: '沪A12345',
  vehicleClass: 'small',
  kind: 'visitor',
  ...extra,
});
const price = (r: ReturnType<typeof rules>, s: StayToPrice) => priceStay(r, s, { timeZone: TZ });

/** Day 07:00–19:00 1 yuan per 30 min; night 0.5 yuan per hour (§4.3). */
const dayNight = {
  pricing: {
    mode: 'unit' as const,
    bands: [
      { name: 'day', start: '07:00', end: '19:00', unitMinutes: 30, unitPriceFen: 100 },
      { name: 'night', start: '19:00', end: '07:00', unitMinutes: 60, unitPriceFen: 50 },
    ],
  },
};

const visitorTiers = {
  pricing: {
    mode: 'tiered' as const,
    tiers: [
      { upToMinutes: 60, amountFen: 0 },
      { upToMinutes: 120, amountFen: 500 },
      { upToMinutes: 480, amountFen: 1000 },
      { upToMinutes: 720, amountFen: 1500 },
      { upToMinutes: 1440, amountFen: 2000 },
    ],
  },
};

describe('parking tariff engine', () => {
  describe('units and rounding up', () => {
    it('bills a partial unit as a full unit: 95 min at 1 yuan / 30 min = 4 units = 400 fen', () => {
      const r = price(rules(), stay('2025-03-01 10:00', '2025-03-01 11:35'));
      expect(r.amountFen).toBe(400n);
      expect(r.lines).toEqual([expect.objectContaining({ kind: 'units', units: 4, unitMinutes: 30, unitPriceFen: 100, amountFen: 400, minutes: 95 })]);
    });

    it('bills exactly one unit at 30 min and two at 30 min 1 s', () => {
      expect(price(rules(), stay('2025-03-01 10:00', '2025-03-01 10:30')).amountFen).toBe(100n);
      const s = stay('2025-03-01 10:00', '2025-03-01 10:30');
      expect(price(rules(), { ...s, exitAt: s.exitAt + 1000 }).amountFen).toBe(200n);
    });

    it('a zero-length stay costs nothing', () => {
      expect(price(rules(), stay('2025-03-01 10:00', '2025-03-01 10:00')).amountFen).toBe(0n);
    });

    it('refuses an exit before the entry', () => {
      expect(() => price(rules(), stay('2025-03-01 10:00', '2025-03-01 09:59'))).toThrow(RangeError);
    });
  });

  describe('free minutes', () => {
    const waive = rules({ freeMinutes: 30, freeMode: 'waiveIfUnder' });
    const deduct = rules({ freeMinutes: 30, freeMode: 'deduct' });

    it('waiveIfUnder: 30 min is free, 31 min is billed from arrival (2 units = 200)', () => {
      expect(price(waive, stay('2025-03-01 10:00', '2025-03-01 10:30')).amountFen).toBe(0n);
      const r = price(waive, stay('2025-03-01 10:00', '2025-03-01 10:31'));
      expect(r.amountFen).toBe(200n);
      expect(r.lines[0]).toMatchObject({ kind: 'free', note: expect.stringContaining('billed from arrival') });
    });

    it('deduct: 30 min is free, 31 min bills 1 min (1 unit = 100)', () => {
      expect(price(deduct, stay('2025-03-01 10:00', '2025-03-01 10:30')).amountFen).toBe(0n);
      expect(price(deduct, stay('2025-03-01 10:00', '2025-03-01 10:31')).amountFen).toBe(100n);
    });

    it('deduct, Nanning example: 2 h with 30 free minutes bills 1.5 h (3 units = 300; waived mode bills 4 units = 400)', () => {
      const r = price(deduct, stay('2025-03-01 10:00', '2025-03-01 12:00'));
      expect(r.amountFen).toBe(300n);
      expect(r.lines[0]).toMatchObject({ kind: 'free', from: '2025-03-01 10:00', to: '2025-03-01 10:30', minutes: 30 });
      expect(r.lines[1]).toMatchObject({ kind: 'units', from: '2025-03-01 10:30', units: 3 });
      expect(price(waive, stay('2025-03-01 10:00', '2025-03-01 12:00')).amountFen).toBe(400n);
    });
  });

  describe('day and night bands (Asia/Shanghai)', () => {
    const r = rules(dayNight);

    it('splits a stay crossing 19:00: 18:45–19:15 = 1 day unit (100) + 1 night unit (50) = 150', () => {
      const p = price(r, stay('2025-03-01 18:45', '2025-03-01 19:15'));
      expect(p.amountFen).toBe(150n);
      expect(p.lines).toEqual([
        expect.objectContaining({ band: 'day', from: '2025-03-01 18:45', to: '2025-03-01 19:00', minutes: 15, units: 1, amountFen: 100 }),
        expect.objectContaining({ band: 'night', from: '2025-03-01 19:00', to: '2025-03-01 19:15', minutes: 15, units: 1, amountFen: 50 }),
      ]);
    });

    it('crosses midnight inside the night band without splitting it: 22:00–01:30 = 210 min = 4 hourly units = 200', () => {
      const p = price(r, stay('2025-03-01 22:00', '2025-03-02 01:30'));
      expect(p.amountFen).toBe(200n);
      expect(p.lines).toHaveLength(1);
    });

    it('crosses the morning boundary: 06:30–08:10 = night 1 unit (50) + day 70 min = 3 units (300) = 350', () => {
      expect(price(r, stay('2025-03-02 06:30', '2025-03-02 08:10')).amountFen).toBe(350n);
    });

    it('uses the business zone, not UTC: 18:45 Shanghai is 10:45 UTC and still day time', () => {
      const p = price(r, { ...stay('2025-03-01 18:45', '2025-03-01 19:15'), entryAt: Date.parse('2025-03-01T10:45:00Z') });
      expect(p.lines[0]).toMatchObject({ band: 'day' });
    });
  });

  describe('24-hour caps over a stay of several days', () => {
    // 2025-03-01 10:00 → 2025-03-03 12:00 (50 h), day/night as above, uncapped:
    //   Mar 1: day 10:00–19:00 18×100 = 1800; night units 19..23h 5×50 = 250      → 2050
    //   Mar 2: night units 00..06h 7×50 = 350; day 24×100 = 2400; night 5×50 = 250 → 3000
    //   Mar 3: night 7×50 = 350; day 07:00–12:00 10×100 = 1000                    → 1350
    //   total 6400
    const s = stay('2025-03-01 10:00', '2025-03-03 12:00');

    it('uncapped: 6400', () => {
      expect(price(rules(dayNight), s).amountFen).toBe(6400n);
    });

    it('calendar day cap 10 yuan: 1000 + 1000 + 1000 = 3000', () => {
      const p = price(rules({ ...dayNight, cap: { amountFen: 1000, window: 'calendarDay' } }), s);
      expect(p.amountFen).toBe(3000n);
      expect(p.lines.filter((l) => l.kind === 'cap').map((l) => l.amountFen)).toEqual([-1050, -2000, -350]);
    });

    it('rolling 24 h cap 10 yuan: windows from 10:00 hold 3000, 3000 and 400 → 1000 + 1000 + 400 = 2400', () => {
      // window 1 [Mar1 10:00, Mar2 10:00): 1800 + 12 night units 600 + Mar2 07–10 6×100 600 = 3000
      // window 2 [Mar2 10:00, Mar3 10:00): 1800 + 600 + 600 = 3000; window 3 [Mar3 10:00, 12:00): 4×100 = 400
      expect(price(rules({ ...dayNight, cap: { amountFen: 1000, window: 'rolling24h' } }), s).amountFen).toBe(2400n);
    });

    it('per-entry cap 10 yuan: the whole stay costs 1000', () => {
      expect(price(rules({ ...dayNight, cap: { amountFen: 1000, window: 'perEntry' } }), s).amountFen).toBe(1000n);
    });

    it('a cap below the charge of a short stay does not apply: 95 min = 400 < 1000', () => {
      expect(price(rules({ cap: { amountFen: 1000, window: 'calendarDay' } }), stay('2025-03-01 10:00', '2025-03-01 11:35')).amountFen).toBe(400n);
    });
  });

  describe('caps across several entries of one plate (多次进出)', () => {
    // 1 yuan per 30 min all day, daily cap 20 yuan.
    const daily = rules({ cap: { amountFen: 2000, window: 'calendarDay' } });

    it('first stay 08:00–14:00 (12 units = 1200) is under the cap and reports what it charged to the day', () => {
      const p = price(daily, stay('2025-03-01 08:00', '2025-03-01 14:00'));
      expect(p.amountFen).toBe(1200n);
      expect(p.capWindows).toEqual([{ window: 'calendarDay', key: '2025-03-01', chargedFen: 1200 }]);
    });

    it('second stay 16:00–22:00 (1200) after 1200 earlier that day: only 800 is left under the cap', () => {
      const p = price(daily, stay('2025-03-01 16:00', '2025-03-01 22:00', { capUsage: { chargedFen: { '2025-03-01': 1200 } } }));
      expect(p.amountFen).toBe(800n);
      expect(p.lines.filter((l) => l.kind === 'cap')).toEqual([expect.objectContaining({ amountFen: -400, note: expect.stringContaining('1200 fen already charged') })]);
      expect(p.capWindows).toEqual([{ window: 'calendarDay', key: '2025-03-01', chargedFen: 800 }]);
    });

    it('earlier charges of another day do not count: 1200 on Feb 28 leaves Mar 1 untouched', () => {
      expect(price(daily, stay('2025-03-01 16:00', '2025-03-01 22:00', { capUsage: { chargedFen: { '2025-02-28': 1200 } } })).amountFen).toBe(1200n);
    });

    it('a stay over midnight: 1500 earlier on Mar 1 → 20:00–24:00 (800) capped to 500, 00:00–02:00 (400) on Mar 2 in full = 900', () => {
      const p = price(daily, stay('2025-03-01 20:00', '2025-03-02 02:00', { capUsage: { chargedFen: { '2025-03-01': 1500 } } }));
      expect(p.amountFen).toBe(900n);
      expect(p.capWindows).toEqual([
        { window: 'calendarDay', key: '2025-03-01', chargedFen: 500 },
        { window: 'calendarDay', key: '2025-03-02', chargedFen: 400 },
      ]);
    });

    it('the cap already reached earlier that day (or exceeded under an older tariff): the next stay is 0', () => {
      expect(price(daily, stay('2025-03-01 16:00', '2025-03-01 17:00', { capUsage: { chargedFen: { '2025-03-01': 2000 } } })).amountFen).toBe(0n);
      expect(price(daily, stay('2025-03-01 16:00', '2025-03-01 17:00', { capUsage: { chargedFen: { '2025-03-01': 2500 } } })).amountFen).toBe(0n);
    });

    it('rolling 24 h from an earlier entry (Mar 1 08:00, 1800 charged): Mar 2 06:00–09:00 pays 200 of 400 in that window, then 200 in the next = 400', () => {
      // window 1 [Mar 1 08:00, Mar 2 08:00) has 200 left: 06:00–08:00 is 4 units = 400 → 200;
      // window 2 [Mar 2 08:00, Mar 3 08:00): 08:00–09:00 is 2 units = 200.
      const r = rules({ cap: { amountFen: 2000, window: 'rolling24h' } });
      const anchor = at('2025-03-01 08:00');
      const p = price(r, stay('2025-03-02 06:00', '2025-03-02 09:00', { capUsage: { rollingAnchorAt: anchor, chargedFen: { [new Date(anchor).toISOString()]: 1800 } } }));
      expect(p.amountFen).toBe(400n);
      expect(p.capWindows).toEqual([
        { window: 'rolling24h', key: '2025-03-01T00:00:00.000Z', chargedFen: 200 },
        { window: 'rolling24h', key: '2025-03-02T00:00:00.000Z', chargedFen: 200 },
      ]);
    });

    it('without an earlier window the rolling window starts at this entry', () => {
      const p = price(rules({ cap: { amountFen: 2000, window: 'rolling24h' } }), stay('2025-03-02 06:00', '2025-03-02 09:00'));
      expect(p.amountFen).toBe(600n);
      expect(p.capWindows).toEqual([{ window: 'rolling24h', key: '2025-03-01T22:00:00.000Z', chargedFen: 600 }]);
    });

    it('a per-entry cap ignores earlier stays: 6 h = 1200 → 1000', () => {
      const p = price(rules({ cap: { amountFen: 1000, window: 'perEntry' } }), stay('2025-03-01 08:00', '2025-03-01 14:00', { capUsage: { chargedFen: { entry: 900 } } }));
      expect(p.amountFen).toBe(1000n);
      expect(p.capWindows).toEqual([]);
    });

    it('capUsageOf sums earlier bills per window and finds the rolling window that holds the entry', () => {
      const earlier = [
        [{ window: 'calendarDay' as const, key: '2025-03-01', chargedFen: 700 }],
        [
          { window: 'calendarDay' as const, key: '2025-03-01', chargedFen: 500 },
          { window: 'rolling24h' as const, key: '2025-03-01T00:00:00.000Z', chargedFen: 300 },
          { window: 'rolling24h' as const, key: '2025-03-02T00:00:00.000Z', chargedFen: 100 },
        ],
      ];
      expect(capUsageOf(earlier, 'calendarDay', at('2025-03-01 20:00'))).toEqual({ rollingAnchorAt: null, chargedFen: { '2025-03-01': 1200 } });
      expect(capUsageOf(earlier, 'rolling24h', at('2025-03-02 09:00'))).toEqual({ rollingAnchorAt: Date.parse('2025-03-02T00:00:00.000Z'), chargedFen: { '2025-03-01T00:00:00.000Z': 300, '2025-03-02T00:00:00.000Z': 100 } });
      expect(capUsageOf(earlier, 'rolling24h', at('2025-03-04 09:00')).rollingAnchorAt).toBeNull();
      expect(capUsageOf(earlier, 'perEntry', at('2025-03-01 20:00'))).toEqual({ chargedFen: {} });
    });

    it('multipliers apply after the shared cap: large × 2 on the 800 left = 1600', () => {
      const r = rules({ cap: { amountFen: 2000, window: 'calendarDay' }, vehicleClassMultipliers: { large: '2' } });
      expect(price(r, stay('2025-03-01 16:00', '2025-03-01 22:00', { vehicleClass: 'large', capUsage: { chargedFen: { '2025-03-01': 1200 } } })).amountFen).toBe(1600n);
    });
  });

  describe('duration tiers', () => {
    const r = rules(visitorTiers);
    const from = '2025-03-01 10:00';
    const plus = (minutes: number): StayToPrice => ({ ...stay(from, from), exitAt: at(from) + minutes * 60_000 });

    it.each([
      [60, 0n],
      [61, 500n],
      [120, 500n],
      [121, 1000n],
      [480, 1000n],
      [481, 1500n],
      [720, 1500n],
      [721, 2000n],
      [1440, 2000n],
      [1441, 2000n], // 24 h block + 1 min in the free tier
      [1440 + 61, 2500n],
      [3 * 1440, 6000n],
    ])('%i min costs %d fen (a boundary belongs to the lower tier)', (minutes, fen) => {
      expect(price(r, plus(minutes)).amountFen).toBe(fen);
    });

    it('tiers with a per-entry cap of 30 yuan over three days: 6000 → 3000', () => {
      expect(price(rules({ ...visitorTiers, cap: { amountFen: 3000, window: 'perEntry' } }), plus(3 * 1440)).amountFen).toBe(3000n);
    });
  });

  describe('vehicle class and new-energy discount', () => {
    it('a large vehicle pays twice: 95 min = 4 units × 2 = 800', () => {
      expect(price(rules({ vehicleClassMultipliers: { large: '2' } }), stay('2025-03-01 10:00', '2025-03-01 11:35', { vehicleClass: 'large' })).amountFen).toBe(800n);
    });

    it('the multiplier applies after the cap: calendar-day cap 3000 × 2 = 6000', () => {
      const r = rules({ ...dayNight, cap: { amountFen: 1000, window: 'calendarDay' }, vehicleClassMultipliers: { large: '2' } });
      expect(price(r, stay('2025-03-01 10:00', '2025-03-03 12:00', { vehicleClass: 'large' })).amountFen).toBe(6000n);
    });

    it('new-energy × 0.85 on 350 fen = 297.5 → half-up 298, down 297, to the jiao 300', () => {
      const s = stay('2025-03-02 06:30', '2025-03-02 08:10', { plate: '沪AD12345' });
      expect(price(rules({ ...dayNight, newEnergy: { multiplier: '0.85' } }), s).amountFen).toBe(298n);
      expect(price(rules({ ...dayNight, newEnergy: { multiplier: '0.85' }, rounding: { toFen: 1, mode: 'down' } }), s).amountFen).toBe(297n);
      expect(price(rules({ ...dayNight, newEnergy: { multiplier: '0.85' }, rounding: { toFen: 10, mode: 'halfUp' } }), s).amountFen).toBe(300n);
      const p = price(rules({ ...dayNight, newEnergy: { multiplier: '0.85' } }), s);
      expect(p.newEnergy).toBe(true);
      expect(p.lines.map((l) => l.kind)).toEqual(['units', 'units', 'newEnergy', 'rounding']);
    });

    it('a regular 7-character plate gets no new-energy discount', () => {
      expect(price(rules({ ...dayNight, newEnergy: { multiplier: '0.85' } }), stay('2025-03-02 06:30', '2025-03-02 08:10')).amountFen).toBe(350n);
    });

    it('large new-energy vehicle: 400 × 2 × 0.5 = 400', () => {
      const r = rules({ vehicleClassMultipliers: { large: '2' }, newEnergy: { multiplier: '0.5' } });
      expect(price(r, stay('2025-03-01 10:00', '2025-03-01 11:35', { vehicleClass: 'large', newEnergy: true })).amountFen).toBe(400n);
    });

    it('new-energy extra free minutes: 30 + 120 free; 150 min free for NEV, 5 units = 500 for others', () => {
      const r = rules({ freeMinutes: 30, newEnergy: { multiplier: '1', extraFreeMinutes: 120 } });
      expect(price(r, stay('2025-03-01 10:00', '2025-03-01 12:30', { plate: '沪AD12345' })).amountFen).toBe(0n);
      expect(price(r, stay('2025-03-01 10:00', '2025-03-01 12:30')).amountFen).toBe(500n);
    });
  });

  describe('exemptions', () => {
    const r = rules({ exemptions: { sessionKinds: ['resident'], vehicleClasses: ['sanitation'], plates: ['沪B 99999'] } });
    const long = (extra: Partial<StayToPrice>) => stay('2025-03-01 10:00', '2025-03-05 10:00', extra);

    it('emergency vehicles are always free, even without configured exemptions', () => {
      const p = price(rules(), long({ kind: 'emergency' }));
      expect(p.amountFen).toBe(0n);
      expect(p.exempt).toBe('emergency vehicle');
      expect(price(rules(), long({ plate: '沪A1234警' })).amountFen).toBe(0n);
      expect(price(rules(), long({ plate: '京A12345应急' })).amountFen).toBe(0n);
    });

    it('configured session kinds, vehicle classes and plates are free; others pay', () => {
      expect(price(r, long({ kind: 'resident' })).amountFen).toBe(0n);
      expect(price(r, long({ vehicleClass: 'sanitation' })).amountFen).toBe(0n);
      expect(price(r, long({ plate: '沪B99999' })).amountFen).toBe(0n);
      expect(price(r, long({})).amountFen).toBe(96n * 2n * 100n);
    });
  });

  describe('overstay beyond a booking', () => {
    const r = rules({ overstay: { graceMinutes: 15, unitMinutes: 60, unitPriceFen: 1000 } });
    const booked = (exit: string) => stay('2025-03-01 10:00', exit, { kind: 'booking', bookingEndAt: at('2025-03-01 12:00') });

    it('leaving within the grace pays only the booked span (10:00–12:00 = 4 units = 400)', () => {
      const p = price(r, booked('2025-03-01 12:15'));
      expect(p.amountFen).toBe(400n);
      expect(p.overstayFen).toBe(0n);
      expect(p.lines.at(-1)).toMatchObject({ kind: 'grace', minutes: 15 });
    });

    it('one minute beyond end + grace costs one penalty unit: 400 + 1000', () => {
      const p = price(r, booked('2025-03-01 12:16'));
      expect(p.amountFen).toBe(1400n);
      expect(p.lines.at(-1)).toMatchObject({ kind: 'overstay', from: '2025-03-01 12:15', minutes: 1, units: 1, amountFen: 1000 });
    });

    it('120 min beyond grace = 2 units (2400 total); 121 min = 3 units (3400 total)', () => {
      expect(price(r, booked('2025-03-01 14:15')).amountFen).toBe(2400n);
      expect(price(r, booked('2025-03-01 14:16')).amountFen).toBe(3400n);
    });

    it('the booking’s own departure grace overrides the tariff’s: 5 min grace, exit 12:06 = 1 penalty unit', () => {
      expect(price(r, { ...booked('2025-03-01 12:06'), bookingGraceMinutes: 5 }).amountFen).toBe(1400n);
      expect(price(r, { ...booked('2025-03-01 12:05'), bookingGraceMinutes: 5 }).amountFen).toBe(400n);
    });

    it('leaving early pays only the time parked', () => {
      expect(price(r, booked('2025-03-01 11:00')).amountFen).toBe(200n);
    });

    it('without an overstay rule the whole stay is billed at the normal rate', () => {
      expect(price(rules(), booked('2025-03-01 14:16')).amountFen).toBe(9n * 100n);
    });
  });

  describe('tariff schema', () => {
    it('refuses bands that overlap or leave a gap', () => {
      const bad = { pricing: { mode: 'unit', bands: [{ name: 'a', start: '07:00', end: '20:00', unitMinutes: 30, unitPriceFen: 1 }, { name: 'b', start: '19:00', end: '07:00', unitMinutes: 30, unitPriceFen: 1 }] } };
      expect(tariffRulesSchema.safeParse(bad).success).toBe(false);
      const gap = { pricing: { mode: 'unit', bands: [{ name: 'a', start: '07:00', end: '18:00', unitMinutes: 30, unitPriceFen: 1 }, { name: 'b', start: '19:00', end: '07:00', unitMinutes: 30, unitPriceFen: 1 }] } };
      expect(tariffRulesSchema.safeParse(gap).success).toBe(false);
      expect(tariffRulesSchema.safeParse(dayNight).success).toBe(true);
    });

    it('refuses descending tiers, float money and float ratios', () => {
      expect(tariffRulesSchema.safeParse({ pricing: { mode: 'tiered', tiers: [{ upToMinutes: 120, amountFen: 5 }, { upToMinutes: 60, amountFen: 10 }] } }).success).toBe(false);
      expect(tariffRulesSchema.safeParse({ ...dayNight, cap: { amountFen: 10.5, window: 'calendarDay' } }).success).toBe(false);
      expect(tariffRulesSchema.safeParse({ ...dayNight, vehicleClassMultipliers: { large: 2 } }).success).toBe(false);
    });
  });

  describe('plates and ratios', () => {
    it('recognises new-energy and emergency plates', () => {
      expect(isNewEnergyPlate('沪AD12345')).toBe(true);
      expect(isNewEnergyPlate('沪A12345')).toBe(false);
      expect(isEmergencyPlate('沪A1234警')).toBe(true);
      expect(isEmergencyPlate('沪A12345')).toBe(false);
    });

    it('parses ratios exactly', () => {
      expect(parseRatio('0.85')).toBe(8500n);
      expect(parseRatio('2')).toBe(20000n);
      expect(parseRatio('1.2345')).toBe(12345n);
    });
  });
});
