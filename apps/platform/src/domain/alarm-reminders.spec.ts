import { reminderDelayS } from './alarm-reminders';

// Issue 8 item 6: reminders at least 60 s apart and capped per alarm.
describe('reminderDelayS', () => {
  const bounds = { minIntervalS: 60, perAlarm: 3 };

  it('keeps a chain interval above the minimum', () => {
    expect(reminderDelayS(300, 1, bounds)).toBe(300);
  });

  it('raises an interval below the minimum to it', () => {
    expect(reminderDelayS(0.1, 1, bounds)).toBe(60);
    expect(reminderDelayS(59, 2, { minIntervalS: 120, perAlarm: 3 })).toBe(120);
  });

  it('stops after the cap per alarm', () => {
    expect(reminderDelayS(300, 3, bounds)).toBe(300);
    expect(reminderDelayS(300, 4, bounds)).toBeUndefined();
  });

  it('sends none when the chain asks for none', () => {
    expect(reminderDelayS(undefined, 1, bounds)).toBeUndefined();
    expect(reminderDelayS(0, 1, bounds)).toBeUndefined();
  });
});
