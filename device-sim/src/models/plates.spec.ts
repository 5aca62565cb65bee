import { vehicleEventSchema } from '@app/contracts';
import { Rng } from '../random';
import { classifyPlate, PlateGenerator, platePatterns, PlateKind, PROVINCES } from './plates';

describe('PlateGenerator (GA 36)', () => {
  const gen = new PlateGenerator(new Rng(2024));

  it('classifies the reference examples', () => {
    expect(classifyPlate('京A12345')).toBe('regular');
    expect(classifyPlate('粤BD12345')).toBe('nev_small');
    expect(classifyPlate('粤B12345D')).toBe('nev_large');
    expect(classifyPlate('京X2345应急')).toBe('emergency');
    expect(classifyPlate('京12345应急')).toBe('emergency');
    expect(classifyPlate('无牌车')).toBe('unreadable');
    expect(classifyPlate('京AO1234')).toBe('unreadable'); // O is never a serial letter
  });

  it.each<[PlateKind, number]>([
    ['regular', 7],
    ['nev_small', 8],
    ['nev_large', 8],
  ])('%s plates match their GA 36 pattern and are %d characters', (kind, length) => {
    for (let i = 0; i < 2000; i++) {
      const plate = gen.of(kind);
      expect([...plate]).toHaveLength(length);
      expect(PROVINCES).toContain(plate[0]);
      expect(plate).toMatch(platePatterns[kind as keyof typeof platePatterns]);
      expect(classifyPlate(plate)).toBe(kind);
      expect(plate.slice(2)).not.toMatch(/[IO]/);
    }
  });

  it('emergency plates end in 应急', () => {
    for (let i = 0; i < 500; i++) {
      const plate = gen.emergency();
      expect(plate).toMatch(platePatterns.emergency);
      expect(plate.endsWith('应急')).toBe(true);
    }
  });

  it('draws a realistic mix: mostly local, new-energy common, some emergency and unreadable', () => {
    const counts: Record<string, number> = {};
    let local = 0;
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const { plate, kind } = gen.next();
      counts[kind] = (counts[kind] ?? 0) + 1;
      expect(classifyPlate(plate)).toBe(kind);
      if (plate.startsWith('粤B')) local++;
      expect(vehicleEventSchema.safeParse({ type: 'vehicle', lane: 'in-1', direction: 'in', plate, confidence: 0.9 }).success).toBe(true);
    }
    expect(counts.regular / n).toBeGreaterThan(0.5);
    expect(counts.nev_small / n).toBeGreaterThan(0.2);
    expect(counts.emergency).toBeGreaterThan(50);
    expect(counts.unreadable).toBeGreaterThan(200);
    expect(local / n).toBeGreaterThan(0.6);
  });
});
