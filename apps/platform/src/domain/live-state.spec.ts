import { eventChanges, readingChanges, stateFromFields } from './live-state';

describe('live state fields', () => {
  it('a reading sets its fields, without ts', () => {
    expect(readingChanges({ ts: 5, mode: 'normal', direction: 'stop', floor: -2, atLevel: true, door: 'open', speed: 0, occupied: false, power: 'mains', safetyCircuit: 'closed' })).toEqual({
      mode: 'normal',
      direction: 'stop',
      floor: -2,
      atLevel: true,
      door: 'open',
      speed: 0,
      occupied: false,
      power: 'mains',
      safetyCircuit: 'closed',
    });
  });

  it('fire flags become one field each, so partial readings merge flag by flag', () => {
    expect(readingChanges({ value: 300, flags: { fault: true } })).toEqual({ value: 300, 'flags.fault': true });
    expect(stateFromFields({ value: 300, 'flags.fault': true, 'flags.fire': false })).toEqual({ value: 300, flags: { fault: true, fire: false } });
  });

  it('elevator faults are raised and cleared one by one and read back as a sorted list', () => {
    expect(eventChanges('elevator', { type: 'trapped_at_level', active: true }, 1)).toEqual({ 'faults.trapped_at_level': true });
    expect(stateFromFields({ floor: 3, 'faults.trapped_at_level': true, 'faults.emergency_call': true, 'faults.power_failure': false })).toEqual({
      floor: 3,
      faults: ['emergency_call', 'trapped_at_level'],
    });
    expect(stateFromFields({ 'faults.power_failure': false })).toEqual({ faults: [] });
  });

  it('fire events set the flag and remember the zone', () => {
    expect(eventChanges('fire', { type: 'fire', active: true, zone: 'B1-3' }, 1)).toEqual({ 'flags.fire': true, lastZone: 'B1-3' });
  });

  it('a vehicle becomes the gate’s last vehicle', () => {
    expect(eventChanges('gate', { type: 'vehicle', lane: 'in-1', direction: 'in', plate: '京A12345' }, 42)).toEqual({
      lastPlate: '京A12345',
      lastDirection: 'in',
      lastLane: 'in-1',
      lastVehicleTs: 42,
    });
  });
});
