import type { DeviceKind, ElevatorEvent, FireEvent, Reading, VehicleEvent } from '@app/contracts';

/**
 * A device's live state as dashboards see it: its latest reading merged with what events said.
 *
 * It is kept as flat fields ("floor", "flags.fire", "faults.trapped_at_level"), each with the
 * time of the message that set it, so that processes which each see a share of a device's
 * messages can merge into one state: per field, the newest message wins.
 */
export type LiveState = Record<string, unknown>;
export type FieldChanges = Record<string, unknown>;

/** Fields kept as a set of names: "faults.x" = true/false becomes faults: ['x', ...]. */
const setFields = new Set(['faults']);

/** The fields a reading sets: reading fields as they are, fire flags one by one. */
export function readingChanges(reading: Reading): FieldChanges {
  const changes: FieldChanges = {};
  for (const [key, value] of Object.entries(reading)) {
    if (key === 'ts' || value === undefined) continue;
    if (key === 'flags' && value && typeof value === 'object') {
      for (const [flag, on] of Object.entries(value as Record<string, boolean>)) changes[`flags.${flag}`] = on;
    } else changes[key] = value;
  }
  return changes;
}

/** The fields an event sets: an elevator fault or fire flag raised or cleared, or the gate's last vehicle. */
export function eventChanges(kind: DeviceKind, event: ElevatorEvent | FireEvent | VehicleEvent, ts: number): FieldChanges {
  switch (kind) {
    case 'elevator': {
      const e = event as ElevatorEvent;
      return { [`faults.${e.type}`]: e.active };
    }
    case 'fire': {
      const e = event as FireEvent;
      return e.zone ? { [`flags.${e.type}`]: e.active, lastZone: e.zone } : { [`flags.${e.type}`]: e.active };
    }
    case 'gate': {
      const e = event as VehicleEvent;
      return { lastPlate: e.plate, lastDirection: e.direction, lastLane: e.lane, lastVehicleTs: ts };
    }
  }
}

/** Builds the nested state from flat fields: "flags.fire" → flags.fire, "faults.x" = true → faults: ['x']. */
export function stateFromFields(fields: FieldChanges): LiveState {
  const state: LiveState = {};
  for (const path of Object.keys(fields).sort()) {
    const value = fields[path];
    const dot = path.indexOf('.');
    if (dot < 0) {
      state[path] = value;
      continue;
    }
    const group = path.slice(0, dot);
    const name = path.slice(dot + 1);
    if (setFields.has(group)) {
      const members = (state[group] as string[] | undefined) ?? [];
      if (value === true) members.push(name);
      state[group] = members;
    } else {
      state[group] = { ...((state[group] as Record<string, unknown>) ?? {}), [name]: value };
    }
  }
  return state;
}
