/**
 * The alarm type names the rule engine (alarm-rules.ts) and the platform raise: the one list every
 * other module names alarm types from, so a consumer (fund profiles, pages) cannot expect a name
 * nothing raises. Elevator types are the device's event types (contract, GB/T 24476 codes).
 */
export const AlarmType = {
  TrappedNotLevel: 'trapped_not_level',
  TrappedAtLevel: 'trapped_at_level',
  EmergencyCall: 'emergency_call',
  TopOvertravel: 'top_overtravel',
  BottomOvertravel: 'bottom_overtravel',
  MovingWithDoorOpen: 'moving_with_door_open',
  DoorOpenWhileRunning: 'door_open_while_running',
  Overspeed: 'overspeed',
  StoppedOutsideDoorZone: 'stopped_outside_door_zone',
  PowerFailure: 'power_failure',
  SafetyCircuitOpen: 'safety_circuit_open',
  DoorOpenFault: 'door_open_fault',
  DoorCloseFault: 'door_close_fault',
  DoorLockCircuitOpen: 'door_lock_circuit_open',
  SpeedAbnormal: 'speed_abnormal',
  LandingButtonStuck: 'landing_button_stuck',
  EbikeInCar: 'ebike_in_car',
  Fire: 'fire',
  FirePowerFault: 'fire_power_fault',
  FireFault: 'fire_fault',
  FireSupervisory: 'fire_supervisory',
  FireDisabled: 'fire_disabled',
  FireLinkageStarted: 'fire_linkage_started',
  PressureLow: 'pressure_low',
  PressureHigh: 'pressure_high',
  TankLevelLow: 'tank_level_low',
  Offline: 'offline',
  ArrivalOverdue: 'arrival_overdue',
  /** A planned maintenance visit or inspection is past its due date (domain/maintenance-schedule.ts). */
  MaintenanceOverdue: 'maintenance_overdue',
  /** The periodic inspection certificate expires within 30 days, or has expired. */
  CertificateExpiring: 'certificate_expiring',
  CertificateExpired: 'certificate_expired',
  /** An elevator has no inspection certificate on record a grace period after its registration (domain/maintenance-schedule.ts certificateMissing). */
  CertificateMissing: 'certificate_missing',
} as const;
export type AlarmTypeName = (typeof AlarmType)[keyof typeof AlarmType];
