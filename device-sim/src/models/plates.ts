import { Rng } from '../random';

/** Licence plates per GA 36-2018 (domain rules §5). */
export const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
/** Serial letters: never I or O. */
export const SERIAL_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '0123456789';
const L = 'A-HJ-NP-Z';

export const platePatterns = {
  regular: new RegExp(`^[${PROVINCES}][A-Z][${L}0-9]{4}[${L}0-9挂学警港澳]$`),
  nev_small: new RegExp(`^[${PROVINCES}][A-Z][DABCEFGHJK][${L}0-9]\\d{4}$`),
  nev_large: new RegExp(`^[${PROVINCES}][A-Z]\\d{5}[DABCEFGHJK]$`),
  emergency: new RegExp(`^[${PROVINCES}][XS]?\\d{4,5}应急$`),
} as const;
export type PlateKind = keyof typeof platePatterns | 'unreadable';

/** What a plate recogniser reports when it cannot read the plate. */
export const UNREADABLE_PLATES = ['无牌车', '未识别', ''] as const;

export function classifyPlate(plate: string): PlateKind {
  for (const [kind, pattern] of Object.entries(platePatterns)) {
    if (pattern.test(plate)) return kind as PlateKind;
  }
  return 'unreadable';
}

export interface PlateMix {
  regular: number;
  nev_small: number;
  nev_large: number;
  emergency: number;
  unreadable: number;
}

/** Typical mix at a residential gate in a city with many new-energy cars. */
export const defaultPlateMix: PlateMix = { regular: 0.6, nev_small: 0.3, nev_large: 0.02, emergency: 0.02, unreadable: 0.06 };

export class PlateGenerator {
  constructor(
    private readonly rng: Rng,
    /** Local province and issuing letter, e.g. 粤 B (Shenzhen): most cars are local. */
    private readonly localProvince = '粤',
    private readonly localIssuer = 'B',
    private readonly mix: PlateMix = defaultPlateMix,
  ) {}

  private prefix(): string {
    if (this.rng.chance(0.8)) return this.localProvince + this.localIssuer;
    return this.rng.pick([...PROVINCES]) + this.rng.pick([...SERIAL_LETTERS]);
  }

  private digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += DIGITS[this.rng.int(0, 9)];
    return s;
  }

  /** 7 characters: 京A12345, 粤B3K7Q2; serial letters never I/O, at most 2 letters. */
  regular(): string {
    const serial = [...this.digits(5)];
    const letters = this.rng.chance(0.5) ? this.rng.int(1, 2) : 0;
    for (let i = 0; i < letters; i++) serial[this.rng.int(0, 4)] = this.rng.pick([...SERIAL_LETTERS]);
    return this.prefix() + serial.join('');
  }

  /** 8 characters, small new-energy car: 粤BD12345 (D battery-electric, F other). */
  nevSmall(): string {
    const energy = this.rng.chance(0.9) ? this.rng.pick(['D', 'D', 'D', 'F', 'A', 'B']) : this.rng.pick([...'CEGHJK']);
    const second = this.rng.chance(0.6) ? DIGITS[this.rng.int(0, 9)] : this.rng.pick([...SERIAL_LETTERS]);
    return this.prefix() + energy + second + this.digits(4);
  }

  /** 8 characters, large new-energy vehicle: 粤B12345D. */
  nevLarge(): string {
    return this.prefix() + this.digits(5) + this.rng.pick(['D', 'F']);
  }

  /** Emergency-rescue plate: 粤X2345应急 (fire-rescue) or 粤12345应急 (ministry). */
  emergency(): string {
    const province = this.rng.chance(0.8) ? this.localProvince : this.rng.pick([...PROVINCES]);
    if (this.rng.chance(0.7)) return province + this.rng.pick(['X', 'S']) + this.digits(4) + '应急';
    return province + this.digits(5) + '应急';
  }

  unreadable(): string {
    return this.rng.pick(UNREADABLE_PLATES);
  }

  /** A plate drawn from the mix, with the kind that was drawn. */
  next(): { plate: string; kind: PlateKind } {
    let r = this.rng.next();
    const order: PlateKind[] = ['regular', 'nev_small', 'nev_large', 'emergency', 'unreadable'];
    for (const kind of order) {
      r -= this.mix[kind];
      if (r < 0) return { plate: this.of(kind), kind };
    }
    return { plate: this.regular(), kind: 'regular' };
  }

  of(kind: PlateKind): string {
    switch (kind) {
      case 'regular':
        return this.regular();
      case 'nev_small':
        return this.nevSmall();
      case 'nev_large':
        return this.nevLarge();
      case 'emergency':
        return this.emergency();
      case 'unreadable':
        return this.unreadable();
    }
  }
}
