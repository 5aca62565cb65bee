/**
 * Licence plates per GA 36-2018 (domain rules §5): normalise OCR output, then classify.
 * Pure; never rejects: what it cannot read is `unknown` and goes to a person at the gate.
 */
export const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const L = 'A-HJ-NP-Z'; // letters without I and O
const ENERGY = 'DABCEFGHJK';

export type PlateKind =
  | 'regular'
  | 'nev_small'
  | 'nev_large'
  | 'emergency'
  | 'police'
  | 'armed_police'
  | 'military'
  | 'embassy'
  | 'consulate'
  | 'hk_macau'
  | 'trailer'
  | 'learner'
  | 'unknown';

export interface PlateInfo {
  /** The normalised plate ('' when nothing readable was reported). */
  plate: string;
  kind: PlateKind;
  province: string | null;
  issuer: string | null;
  serial: string | null;
  energy: 'BEV' | 'NON_BEV' | null;
  /** Vehicle class for tariffs: large NEVs count as large, everything else small. */
  vehicleClass: 'small' | 'large';
  /** Vehicles that pass free and first (应急, police, armed police, military). */
  priority: boolean;
}

const patterns: Array<[PlateKind, RegExp]> = [
  ['emergency', new RegExp(`^(?:[${PROVINCES}][XS]?\\d{4,5}应急|应急[${PROVINCES}]?\\d{4,5})$`)],
  ['armed_police', new RegExp(`^WJ[${PROVINCES}]?\\d{4}[${L}0-9]$`)],
  ['nev_small', new RegExp(`^[${PROVINCES}][A-Z][${ENERGY}][${L}0-9]\\d{4}$`)],
  ['nev_large', new RegExp(`^[${PROVINCES}][A-Z]\\d{5}[${ENERGY}]$`)],
  ['police', new RegExp(`^[${PROVINCES}][A-Z][${L}0-9]{4}警$`)],
  ['trailer', new RegExp(`^[${PROVINCES}][A-Z][${L}0-9]{4}挂$`)],
  ['learner', new RegExp(`^[${PROVINCES}][A-Z][${L}0-9]{4}学$`)],
  ['hk_macau', new RegExp(`^[${PROVINCES}][A-Z][${L}0-9]{4}[港澳]$`)],
  ['consulate', new RegExp(`^[${PROVINCES}]A\\d{4}领$`)],
  ['embassy', new RegExp(`^(?:使\\d{6}|\\d{6}使)$`)],
  ['regular', new RegExp(`^[${PROVINCES}][A-Z][${L}0-9]{5}$`)],
  // Military: two letters (the first a unit code) + 5 digits, e.g. VA12345.
  ['military', new RegExp(`^[A-Z]{2}\\d{5}$`)],
];

const PRIORITY: ReadonlySet<PlateKind> = new Set(['emergency', 'police', 'armed_police', 'military']);

/** Full-width ASCII (Ａ, １, ・ …) to half-width, uppercase, separators removed. */
function clean(raw: string): string {
  let s = '';
  for (const ch of raw.normalize('NFKC')) {
    const c = ch.toUpperCase();
    if (/[\s·•.\-_・。]/.test(c)) continue;
    s += c;
  }
  return s;
}

/**
 * Maps the OCR confusions O→0 and I→1 where GA 36 allows no letter: the serial positions of
 * civil plates (after province + issuer), never the issuer letter itself.
 */
function fixSerial(s: string): string {
  const chars = [...s];
  if (chars.length < 3) return s;
  let start = -1;
  if (PROVINCES.includes(chars[0])) start = 2; // 京A·12345
  else if (chars[0] === 'W' && chars[1] === 'J') start = PROVINCES.includes(chars[2] ?? '') ? 3 : 2;
  else if (chars[0] === '使') start = 1;
  if (start < 0) return s;
  for (let i = start; i < chars.length; i++) {
    if (chars[i] === 'O') chars[i] = '0';
    else if (chars[i] === 'I') chars[i] = '1';
  }
  return chars.join('');
}

export function normalizePlate(raw: string): string {
  return fixSerial(clean(raw));
}

/** Normalises and classifies a plate as reported by a gate camera. */
export function parsePlate(raw: string): PlateInfo {
  const plate = normalizePlate(raw);
  const base: PlateInfo = { plate, kind: 'unknown', province: null, issuer: null, serial: null, energy: null, vehicleClass: 'small', priority: false };
  for (const [kind, pattern] of patterns) {
    if (!pattern.test(plate)) continue;
    const chars = [...plate];
    const info: PlateInfo = { ...base, kind, priority: PRIORITY.has(kind) };
    if (PROVINCES.includes(chars[0]) && kind !== 'emergency') {
      info.province = chars[0];
      info.issuer = chars[1];
      info.serial = chars.slice(2).join('');
    } else if (kind === 'emergency') {
      info.province = chars.find((c) => PROVINCES.includes(c)) ?? null;
      info.serial = plate.replace('应急', '').replace(info.province ?? '', '');
    } else {
      info.serial = plate;
    }
    if (kind === 'nev_small') info.energy = bev(chars[2]);
    if (kind === 'nev_large') {
      info.energy = bev(chars[7]);
      info.vehicleClass = 'large';
    }
    return info;
  }
  return base;
}

function bev(letter: string): 'BEV' | 'NON_BEV' {
  return 'DABCE'.includes(letter) ? 'BEV' : 'NON_BEV';
}
