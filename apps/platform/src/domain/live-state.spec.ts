import { applyEvent, applyReading } from './live-state';

describe('live state', () => {
  it('replaces elevator reading fields and drops ts', () => {
    const state = applyReading('elevator', { floor: 1, faults: ['power_failure'] }, { ts: 5, mode: 'normal', direction: 'stop', floor: 2, atLevel: true, door: 'open', speed: 0, occupied: false, power: 'mains', safetyCircuit: 'closed' });
    expect(state).toEqual({ floor: 2, faults: ['power_failure'], mode: 'normal', direction: 'stop', atLevel: true, door: 'open', speed: 0, occupied: false, power: 'mains', safetyCircuit: 'closed' });
  });

  it('merges fire flags one by one', () => {
    const s1 = applyReading('fire', {}, { value: 300, flags: { fault: true } });
    const s2 = applyReading('fire', s1, { flags: { fire: true } });
    expect(s2).toEqual({ value: 300, flags: { fault: true, fire: true } });
  });

  it('raises and clears elevator faults', () => {
    const raised = applyEvent('elevator', {}, { type: 'trapped_at_level', active: true }, 1);
    const both = applyEvent('elevator', raised, { type: 'emergency_call', active: true }, 2);
    expect(both.faults).toEqual(['emergency_call', 'trapped_at_level']);
    expect(applyEvent('elevator', both, { type: 'trapped_at_level', active: false }, 3).faults).toEqual(['emergency_call']);
  });

  it('fire events set the flag and remember the zone', () => {
    expect(applyEvent('fire', { flags: { fault: true } }, { type: 'fire', active: true, zone: 'B1-3' }, 1)).toEqual({ flags: { fault: true, fire: true }, lastZone: 'B1-3' });
  });

  it('a vehicle becomes the gate’s last vehicle', () => {
    expect(applyEvent('gate', { barrier: 'closed' }, { type: 'vehicle', lane: 'in-1', direction: 'in', plate: '京A12345' }, 42)).toEqual({
      barrier: 'closed',
      lastPlate: '京A12345',
      lastDirection: 'in',
      lastLane: 'in-1',
      lastVehicleTs: 42,
    });
  });
});
