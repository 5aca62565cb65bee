/**
 * The simulator's gate-scenarios mode against an in-process platform: REST set-up (owner, shared
 * slot, booking, common slot, gate), then the five cases over MQTT; every observed command matches.
 */
import { tmpdir } from 'node:os';
import { Reporter } from '../../device-sim/src/modes/common';
import { gateCases, matches, runGateScenarios } from '../../device-sim/src/modes/gate-scenarios';
import { ADMIN, startTestPlatform, type TestPlatform } from '../support/platform';

describe('device-sim gate-scenarios', () => {
  let tp: TestPlatform;

  beforeAll(async () => {
    // Departure grace 0 so the overstay case runs (it is skipped on the default 10 minutes).
    tp = await startTestPlatform({ env: { PARKING_DEPARTURE_GRACE_MIN: '0' } });
  });
  afterAll(() => tp?.close());

  it('compares expected and observed commands case by case', () => {
    expect(matches({ cmd: 'open' }, { cmd: 'open', reason: 'exit' })).toBe(true);
    expect(matches({ cmd: 'open', reason: 'booking' }, { cmd: 'open', reason: 'visitor' })).toBe(false);
    expect(matches({ cmd: 'hold', reason: 'unreadable_plate' }, null)).toBe(false);
    expect(gateCases('粤BD1234', '粤BV1234').map((c) => c.name)).toEqual(['booked arrival', 'visitor', 'emergency vehicle', 'unreadable plate', 'visitor exits', 'duplicate exit event']);
  });

  it('plays booked arrival, visitor, emergency, unreadable plate and a duplicate exit; all match', async () => {
    const lines: string[] = [];
    const reporter = new Reporter(true);
    reporter.line = (obj) => void lines.push(JSON.stringify(obj));
    reporter.info = (message) => void lines.push(message);
    const results = await runGateScenarios(
      { api: tp.httpUrl, username: ADMIN.username, password: ADMIN.password, mqtt: tp.mqttUrl!, protocol: 4, dataDir: tmpdir(), json: true, wait: 5000 },
      reporter,
    );
    expect(results.map((r) => [r.name, r.observed?.cmd, r.ok])).toEqual([
      ['booked arrival', 'open', true],
      ['visitor', 'open', true],
      ['emergency vehicle', 'open', true],
      ['unreadable plate', 'hold', true],
      ['visitor exits', 'open', true],
      ['duplicate exit event', 'open', true],
      ['overstay entry', 'open', true],
      ['overstay exit', 'hold', true],
      ['overstay paid', 'open', true],
    ]);
    expect(results.find((r) => r.name === 'overstay exit')?.bill?.overstayFen).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes('"type":"summary"') && l.includes('"failed":0'))).toBe(true);
  }, 60_000);
});
