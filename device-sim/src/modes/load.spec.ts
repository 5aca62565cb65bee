import { fireSubtypes, readingSchemas } from '@app/contracts';
import { payloadTemplate } from './load';

describe('load payload templates', () => {
  const devices = [
    { kind: 'elevator' as const, subtype: null },
    { kind: 'gate' as const, subtype: null },
    ...fireSubtypes.map((subtype) => ({ kind: 'fire' as const, subtype })),
  ];

  it.each(devices)('$kind/$subtype templates are valid readings with the given ts', (device) => {
    for (let i = 0; i < 50; i++) {
      const make = payloadTemplate(device, i);
      for (const seq of [0, 1, 799, 12345]) {
        const ts = 1_700_000_000_000 + seq;
        const parsed = JSON.parse(make(ts, seq));
        const result = readingSchemas[device.kind].safeParse(parsed);
        expect(result.success).toBe(true);
        expect(parsed.ts).toBe(ts);
      }
    }
  });
});
