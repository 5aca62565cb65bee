import type { SessionKind, TariffBand, TariffRules } from '@app/contracts';
import { localDate, localStamp, nextLocalMidnight, wallTime, zonedInstant } from './business-time';

/**
 * The parking pricing engine: a pure function from a tariff version and a closed stay to an
 * amount in integer fen (BigInt, never floats) and an itemised breakdown.
 *
 * Order of the rules:
 *  1. exemptions (emergency vehicles always; configured session kinds, classes, plates) → 0;
 *  2. the regular span is entry → exit, or entry → booking end when the stay is a booking and the
 *     tariff has an overstay rule (end → end + grace is free; beyond it is overstay);
 *  3. free minutes (plus the new-energy extra): a regular span within them is free; otherwise
 *     `waiveIfUnder` bills from arrival, `deduct` bills from entry + free minutes;
 *  4. unit pricing: the span is cut at day/night band boundaries (business time zone) and each
 *     segment is billed per started unit of its band; or tiered pricing: the span is billed by
 *     duration tier (longer than the last tier: blocks of the last tier's length);
 *  5. the cap, on those base charges: per calendar day (charge attributed to the day its unit
 *     starts), per rolling 24 h from entry, or per entry (the whole stay);
 *  6. × vehicle-class multiplier × new-energy multiplier, then one rounding (fen / jiao / yuan,
 *     half-up, up or down);
 *  7. + overstay: per started penalty unit beyond booking end + grace (no cap, no discount).
 */

export interface StayToPrice {
  entryAt: number;
  exitAt: number;
  plate: string;
  vehicleClass: string;
  kind: SessionKind;
  /** Known new-energy flag; otherwise derived from the plate (GA 36: new-energy plates have 8 characters). */
  newEnergy?: boolean;
  /** End of the booking, for kind 'booking'. */
  bookingEndAt?: number | null;
  /** The booking's own departure grace (minutes); overrides the tariff's overstay grace. */
  bookingGraceMinutes?: number | null;
  /**
   * What earlier stays of the same plate (same community) already counted towards the cap, per
   * cap window (多次进出): calendarDay keys are local dates 'YYYY-MM-DD', rolling24h keys are the
   * ISO start of the window. `rollingAnchorAt` is the start of an earlier rolling window that
   * contains this entry (otherwise the window starts at this entry). Ignored for perEntry caps.
   */
  capUsage?: { rollingAnchorAt?: number | null; chargedFen: Readonly<Record<string, number | bigint>> };
}

/** What this stay counted towards the cap in one window (kept in the bill for later stays). */
export interface CapWindowCharge {
  window: 'calendarDay' | 'rolling24h';
  key: string;
  chargedFen: number;
}

export type PriceLineKind = 'exempt' | 'free' | 'units' | 'tier' | 'cap' | 'multiplier' | 'newEnergy' | 'rounding' | 'grace' | 'overstay';

export interface PriceLine {
  kind: PriceLineKind;
  /** Local times (business zone) 'YYYY-MM-DD HH:MM'. */
  from?: string;
  to?: string;
  minutes?: number;
  band?: string;
  units?: number;
  unitMinutes?: number;
  unitPriceFen?: number;
  /** Signed: reductions (caps, discounts) are negative. */
  amountFen: number;
  note: string;
}

export interface PriceResult {
  amountFen: bigint;
  /** Regular charge after caps, before multipliers. */
  baseFen: bigint;
  overstayFen: bigint;
  exempt: string | null;
  newEnergy: boolean;
  lines: PriceLine[];
  /** Per cap window (calendarDay / rolling24h), the capped base charge of this stay. */
  capWindows: CapWindowCharge[];
}

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const RATIO_SCALE = 10_000n;

/** Emergency plates (GA 36 应急, police 警, armed police WJ): always free (§4.5). */
export function isEmergencyPlate(plate: string): boolean {
  const p = normalizePlate(plate);
  return p.includes('应急') || p.endsWith('警') || p.startsWith('WJ');
}

export function normalizePlate(plate: string): string {
  return plate.replace(/[\s·•.-]/g, '').toUpperCase();
}

/** GA 36: regular plates have 7 characters, new-energy plates 8 (e.g. 沪AD12345). */
export function isNewEnergyPlate(plate: string): boolean {
  const p = normalizePlate(plate);
  return [...p].length === 8 && !isEmergencyPlate(p);
}

/** "1.5" → 15000n (scale 10 000). */
export function parseRatio(ratio: string): bigint {
  const [whole, frac = ''] = ratio.split('.');
  return BigInt(whole) * RATIO_SCALE + BigInt((frac + '0000').slice(0, 4));
}

function roundDiv(q: bigint, unit: bigint, mode: 'halfUp' | 'up' | 'down'): bigint {
  if (mode === 'down') return q / unit;
  if (mode === 'up') return (q + unit - 1n) / unit;
  return (2n * q + unit) / (2n * unit);
}

function minutesOfDay(t: string): number {
  const [h, m] = t.split(':').map(Number);
  return h * 60 + m;
}

function bandAt(bands: readonly TariffBand[], ms: number, timeZone: string): TariffBand {
  const w = wallTime(ms, timeZone);
  const m = w.hour * 60 + w.minute;
  for (const band of bands) {
    const s = minutesOfDay(band.start);
    const e = minutesOfDay(band.end);
    if (s === e) return band;
    if (s < e ? m >= s && m < e : m >= s || m < e) return band;
  }
  throw new Error('tariff bands do not cover the day'); // excluded by the schema
}

/** The next instant after `ms` at which the local time reaches the band's end. */
function bandEndAfter(band: TariffBand, bands: readonly TariffBand[], ms: number, timeZone: string): number {
  if (bands.length === 1) return Number.POSITIVE_INFINITY;
  const endMin = minutesOfDay(band.end);
  let dayStart = zonedInstant({ ...wallTime(ms, timeZone), hour: 0, minute: 0 }, timeZone);
  for (let i = 0; i < 3; i++) {
    const w = wallTime(dayStart, timeZone);
    const candidate = zonedInstant({ year: w.year, month: w.month, day: w.day, hour: Math.floor(endMin / 60), minute: endMin % 60 }, timeZone);
    if (candidate > ms) return candidate;
    dayStart = nextLocalMidnight(dayStart, timeZone);
  }
  throw new Error('no band boundary found');
}

interface Charge {
  at: number;
  fen: bigint;
}

export interface PriceOptions {
  timeZone: string;
}

/**
 * Sums what earlier stays of a plate charged to each cap window (from their bills' capWindows)
 * into the `capUsage` input of the next stay. For rolling24h the next stay joins the latest
 * earlier window that contains its entry.
 */
export function capUsageOf(earlier: ReadonlyArray<ReadonlyArray<CapWindowCharge>>, window: 'calendarDay' | 'rolling24h' | 'perEntry', entryAt: number): NonNullable<StayToPrice['capUsage']> {
  const chargedFen: Record<string, number> = {};
  let rollingAnchorAt: number | null = null;
  if (window === 'perEntry') return { chargedFen };
  for (const w of earlier.flat()) {
    if (w.window !== window) continue;
    chargedFen[w.key] = (chargedFen[w.key] ?? 0) + w.chargedFen;
    if (window === 'rolling24h') {
      const start = Date.parse(w.key);
      if (start <= entryAt && entryAt < start + DAY && (rollingAnchorAt === null || start > rollingAnchorAt)) rollingAnchorAt = start;
    }
  }
  return { rollingAnchorAt, chargedFen };
}

export function priceStay(rules: TariffRules, stay: StayToPrice, { timeZone }: PriceOptions): PriceResult {
  if (!(stay.exitAt >= stay.entryAt)) throw new RangeError('exit before entry');
  const stamp = (ms: number) => localStamp(ms, timeZone);
  const newEnergy = stay.newEnergy ?? isNewEnergyPlate(stay.plate);
  const lines: PriceLine[] = [];

  const exempt = exemptionOf(rules, stay);
  if (exempt) {
    lines.push({ kind: 'exempt', from: stamp(stay.entryAt), to: stamp(stay.exitAt), amountFen: 0, note: `exempt: ${exempt}` });
    return { amountFen: 0n, baseFen: 0n, overstayFen: 0n, exempt, newEnergy, lines, capWindows: [] };
  }

  // 2. Regular span and overstay.
  let regularEnd = stay.exitAt;
  let overstayFen = 0n;
  const overstayLines: PriceLine[] = [];
  if (stay.bookingEndAt != null && rules.overstay) {
    const o = { ...rules.overstay, graceMinutes: stay.bookingGraceMinutes ?? rules.overstay.graceMinutes };
    regularEnd = Math.min(stay.exitAt, Math.max(stay.bookingEndAt, stay.entryAt));
    const graceEnd = stay.bookingEndAt + o.graceMinutes * MINUTE;
    if (stay.exitAt > stay.bookingEndAt) {
      const graceTo = Math.min(stay.exitAt, graceEnd);
      overstayLines.push({ kind: 'grace', from: stamp(stay.bookingEndAt), to: stamp(graceTo), minutes: Math.ceil((graceTo - stay.bookingEndAt) / MINUTE), amountFen: 0, note: `departure grace ${o.graceMinutes} min after the booking end` });
    }
    if (stay.exitAt > graceEnd) {
      const minutes = Math.ceil((stay.exitAt - graceEnd) / MINUTE);
      const units = Math.ceil(minutes / o.unitMinutes);
      overstayFen = BigInt(units) * BigInt(o.unitPriceFen);
      overstayLines.push({ kind: 'overstay', from: stamp(graceEnd), to: stamp(stay.exitAt), minutes, units, unitMinutes: o.unitMinutes, unitPriceFen: o.unitPriceFen, amountFen: Number(overstayFen), note: `overstay beyond booking end + ${o.graceMinutes} min grace at the penalty rate` });
    }
  }

  // 3. Free minutes.
  const freeMinutes = rules.freeMinutes + (newEnergy ? (rules.newEnergy?.extraFreeMinutes ?? 0) : 0);
  const regularMinutes = Math.ceil((regularEnd - stay.entryAt) / MINUTE);
  let billStart = stay.entryAt;
  let charges: Charge[] = [];
  if (regularMinutes <= freeMinutes) {
    lines.push({ kind: 'free', from: stamp(stay.entryAt), to: stamp(regularEnd), minutes: regularMinutes, amountFen: 0, note: `stay of ${regularMinutes} min within ${freeMinutes} free minutes` });
  } else {
    if (freeMinutes > 0 && rules.freeMode === 'deduct') {
      billStart = stay.entryAt + freeMinutes * MINUTE;
      lines.push({ kind: 'free', from: stamp(stay.entryAt), to: stamp(billStart), minutes: freeMinutes, amountFen: 0, note: `first ${freeMinutes} min deducted` });
    } else if (freeMinutes > 0) {
      lines.push({ kind: 'free', minutes: freeMinutes, amountFen: 0, note: `stay exceeds ${freeMinutes} free minutes: billed from arrival` });
    }
    charges = rules.pricing.mode === 'unit' ? unitCharges(rules.pricing.bands, billStart, regularEnd, timeZone, lines) : tierCharges(rules.pricing.tiers, billStart, regularEnd, timeZone, lines);
  }

  // 5. Cap (counting what earlier stays of the plate already paid in the same window).
  let baseFen = 0n;
  const capWindows: CapWindowCharge[] = [];
  if (rules.cap && charges.length > 0) {
    const cap = BigInt(rules.cap.amountFen);
    const window = rules.cap.window;
    const anchor = stay.capUsage?.rollingAnchorAt != null && stay.capUsage.rollingAnchorAt <= stay.entryAt ? stay.capUsage.rollingAnchorAt : stay.entryAt;
    const groups = new Map<string, { from: number; sum: bigint }>();
    for (const c of charges) {
      const key = window === 'perEntry' ? 'entry' : window === 'calendarDay' ? localDate(c.at, timeZone) : new Date(anchor + Math.floor((c.at - anchor) / DAY) * DAY).toISOString();
      const g = groups.get(key) ?? { from: c.at, sum: 0n };
      g.sum += c.fen;
      groups.set(key, g);
    }
    for (const [key, g] of groups) {
      const earlier = window === 'perEntry' ? 0n : BigInt(stay.capUsage?.chargedFen[key] ?? 0);
      const allowance = cap > earlier ? cap - earlier : 0n;
      const charged = g.sum > allowance ? allowance : g.sum;
      if (g.sum > allowance) {
        const label = window === 'perEntry' ? 'per entry' : window === 'calendarDay' ? `calendar day ${key}` : `24 h window from ${localStamp(Date.parse(key), timeZone)}`;
        const before = earlier > 0n ? ` (${earlier} fen already charged to earlier stays in this window)` : '';
        lines.push({ kind: 'cap', amountFen: Number(charged - g.sum), note: `cap ${rules.cap.amountFen} fen per ${label}${before}: ${g.sum} → ${charged}` });
      }
      baseFen += charged;
      if (window !== 'perEntry') capWindows.push({ window, key, chargedFen: Number(charged) });
    }
  } else {
    for (const c of charges) baseFen += c.fen;
  }

  // 6. Multipliers and rounding.
  const classRatio = parseRatio(rules.vehicleClassMultipliers[stay.vehicleClass] ?? '1');
  const nevRatio = newEnergy && rules.newEnergy ? parseRatio(rules.newEnergy.multiplier) : RATIO_SCALE;
  const scaled = baseFen * classRatio * nevRatio; // scale 10^8
  if (classRatio !== RATIO_SCALE) {
    lines.push({ kind: 'multiplier', amountFen: exactDelta(baseFen * classRatio * RATIO_SCALE - baseFen * RATIO_SCALE * RATIO_SCALE), note: `vehicle class ${stay.vehicleClass} × ${rules.vehicleClassMultipliers[stay.vehicleClass]}` });
  }
  if (nevRatio !== RATIO_SCALE) {
    lines.push({ kind: 'newEnergy', amountFen: exactDelta(scaled - baseFen * classRatio * RATIO_SCALE), note: `new-energy vehicle × ${rules.newEnergy!.multiplier}` });
  }
  const step = BigInt(rules.rounding.toFen);
  const regularFen = roundDiv(scaled, step * RATIO_SCALE * RATIO_SCALE, rules.rounding.mode) * step;
  const residue = regularFen * RATIO_SCALE * RATIO_SCALE - scaled;
  if (residue !== 0n) {
    lines.push({ kind: 'rounding', amountFen: exactDelta(residue), note: `rounded ${rules.rounding.mode} to ${rules.rounding.toFen} fen` });
  }

  lines.push(...overstayLines);
  return { amountFen: regularFen + overstayFen, baseFen, overstayFen, exempt: null, newEnergy, lines, capWindows };
}

/** A delta at scale 10^8 shown in fen with up to 2 decimals dropped to an integer-fen display (exact value in the note is not needed). */
function exactDelta(scaled: bigint): number {
  // Display only: the amount itself is computed exactly above. Rounded toward zero to whole fen.
  return Number(scaled / (RATIO_SCALE * RATIO_SCALE));
}

function exemptionOf(rules: TariffRules, stay: StayToPrice): string | null {
  if (stay.kind === 'emergency' || isEmergencyPlate(stay.plate)) return 'emergency vehicle';
  if (rules.exemptions.sessionKinds.includes(stay.kind)) return `session kind ${stay.kind}`;
  if (rules.exemptions.vehicleClasses.includes(stay.vehicleClass)) return `vehicle class ${stay.vehicleClass}`;
  const plate = normalizePlate(stay.plate);
  if (rules.exemptions.plates.some((p) => normalizePlate(p) === plate)) return 'plate on the exemption list';
  return null;
}

function unitCharges(bands: readonly TariffBand[], from: number, to: number, timeZone: string, lines: PriceLine[]): Charge[] {
  const charges: Charge[] = [];
  let t = from;
  while (t < to) {
    const band = bandAt(bands, t, timeZone);
    const segEnd = Math.min(bandEndAfter(band, bands, t, timeZone), to);
    const unitMs = band.unitMinutes * MINUTE;
    const units = Math.ceil((segEnd - t) / unitMs);
    for (let i = 0; i < units; i++) charges.push({ at: t + i * unitMs, fen: BigInt(band.unitPriceFen) });
    lines.push({
      kind: 'units',
      from: localStamp(t, timeZone),
      to: localStamp(segEnd, timeZone),
      minutes: Math.ceil((segEnd - t) / MINUTE),
      band: band.name,
      units,
      unitMinutes: band.unitMinutes,
      unitPriceFen: band.unitPriceFen,
      amountFen: units * band.unitPriceFen,
      note: `${band.name}: ${units} × ${band.unitMinutes} min at ${band.unitPriceFen} fen`,
    });
    t = segEnd;
  }
  return charges;
}

function tierCharges(tiers: ReadonlyArray<{ upToMinutes: number; amountFen: number }>, from: number, to: number, timeZone: string, lines: PriceLine[]): Charge[] {
  const charges: Charge[] = [];
  const block = tiers[tiers.length - 1];
  let remaining = Math.ceil((to - from) / MINUTE);
  let t = from;
  while (remaining > 0) {
    const minutes = Math.min(remaining, block.upToMinutes);
    const tier = tiers.find((x) => minutes <= x.upToMinutes)!;
    charges.push({ at: t, fen: BigInt(tier.amountFen) });
    lines.push({ kind: 'tier', from: localStamp(t, timeZone), to: localStamp(t + minutes * MINUTE, timeZone), minutes, amountFen: tier.amountFen, note: `tier ≤ ${tier.upToMinutes} min: ${tier.amountFen} fen` });
    remaining -= minutes;
    t += minutes * MINUTE;
  }
  return charges;
}
