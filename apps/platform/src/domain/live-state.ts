import type { DeviceKind, ElevatorEvent, FireEvent, Reading, VehicleEvent } from '@app/contracts';

/** A device's live state as shown on dashboards: its latest reading merged with what events said. */
export type LiveState = Record<string, unknown>;

/** Merges a reading into the state: reading fields replace, fire flags merge flag by flag. */
export function applyReading(kind: DeviceKind, state: LiveState, reading: Reading): LiveState {
  const { ts: _ts, ...fields } = reading as Reading & { ts?: number };
  if (kind === 'fire' && 'flags' in fields && fields.flags) {
    const flags = { ...((state.flags as Record<string, boolean>) ?? {}), ...fields.flags };
    return { ...state, ...fields, flags };
  }
  return { ...state, ...fields };
}

/** Merges an event: elevator faults and fire flags raise or clear, a vehicle becomes the gate's last vehicle. */
export function applyEvent(kind: DeviceKind, state: LiveState, event: ElevatorEvent | FireEvent | VehicleEvent, ts: number): LiveState {
  switch (kind) {
    case 'elevator': {
      const e = event as ElevatorEvent;
      const faults = new Set((state.faults as string[] | undefined) ?? []);
      if (e.active) faults.add(e.type);
      else faults.delete(e.type);
      return { ...state, faults: [...faults].sort() };
    }
    case 'fire': {
      const e = event as FireEvent;
      const flags = { ...((state.flags as Record<string, boolean>) ?? {}), [e.type]: e.active };
      return e.zone ? { ...state, flags, lastZone: e.zone } : { ...state, flags };
    }
    case 'gate': {
      const e = event as VehicleEvent;
      return { ...state, lastPlate: e.plate, lastDirection: e.direction, lastLane: e.lane, lastVehicleTs: ts };
    }
  }
}
