import { AlarmType, type AlarmTypeName } from './alarm-types';

/**
 * City profiles of the maintenance-fund green channel (domain-rules §3): time limits and options
 * that differ between jurisdictions, kept as data. A community selects one; 'national' is the
 * default (MoHURD/MoF 建房〔2015〕52号).
 */
export interface FundCityProfile {
  id: string;
  name: { zh: string; en: string };
  /** Public notice (公示) period, working days. */
  noticeWorkingDays: number;
  /** Whether notice may run during the works (事中公示 / 先修后公示), so confirmation need not wait for it. */
  noticeDuringWorksAllowed: boolean;
  /** Fund authority's review time limit after confirmation, working days. */
  reviewWorkingDays: number;
  /** The review counts as approved when the authority has not decided in time (Fujian: 视为同意). */
  deemedApprovalOnTimeout: boolean;
  /** First payment as a share of the budget, percent. */
  firstPaymentPercent: number;
  /** Time limit for the first payment after approval, working days (null: none). */
  paymentWorkingDays: number | null;
  /** A reminder this long before a deadline, ms. */
  reminderLeadMs: number;
  source: string;
}

const DAY = 86_400_000;

export const fundCityProfiles: readonly FundCityProfile[] = [
  {
    id: 'national',
    name: { zh: '全国（建房〔2015〕52号）', en: 'National (2015 notice 52)' },
    noticeWorkingDays: 3,
    noticeDuringWorksAllowed: false,
    reviewWorkingDays: 3,
    deemedApprovalOnTimeout: false,
    firstPaymentPercent: 50,
    paymentWorkingDays: null,
    reminderLeadMs: DAY,
    source: 'domain-rules §3.2',
  },
  {
    id: 'beijing',
    name: { zh: '北京', en: 'Beijing' },
    // Owners must be told in advance; the notice may run while the works proceed.
    noticeWorkingDays: 3,
    noticeDuringWorksAllowed: true,
    reviewWorkingDays: 2,
    deemedApprovalOnTimeout: false,
    firstPaymentPercent: 50,
    paymentWorkingDays: 2,
    reminderLeadMs: DAY / 2,
    source: 'domain-rules §3.3 (Beijing 2013 notice)',
  },
  {
    id: 'fujian',
    name: { zh: '福建', en: 'Fujian' },
    noticeWorkingDays: 3,
    noticeDuringWorksAllowed: false,
    reviewWorkingDays: 5,
    deemedApprovalOnTimeout: true,
    firstPaymentPercent: 50,
    paymentWorkingDays: null,
    reminderLeadMs: DAY,
    source: 'domain-rules §3.3 (Fujian 电梯安全管理条例)',
  },
  {
    id: 'hefei',
    name: { zh: '合肥', en: 'Hefei' },
    noticeWorkingDays: 3,
    noticeDuringWorksAllowed: false,
    reviewWorkingDays: 3,
    deemedApprovalOnTimeout: false,
    firstPaymentPercent: 50,
    paymentWorkingDays: null,
    reminderLeadMs: DAY,
    source: 'domain-rules §3.3 (Hefei 住宅小区物业管理条例)',
  },
  {
    id: 'anhui',
    name: { zh: '安徽（电梯应急备用金）', en: 'Anhui (elevator emergency reserve)' },
    noticeWorkingDays: 3,
    noticeDuringWorksAllowed: false,
    reviewWorkingDays: 3,
    deemedApprovalOnTimeout: false,
    firstPaymentPercent: 50,
    paymentWorkingDays: 2,
    reminderLeadMs: DAY,
    source: 'domain-rules §3.3 (Anhui 2024)',
  },
  {
    id: 'simplified',
    name: { zh: '简易程序（事中公示、事后审核）', en: 'Simplified (notice during works)' },
    noticeWorkingDays: 3,
    noticeDuringWorksAllowed: true,
    reviewWorkingDays: 3,
    deemedApprovalOnTimeout: false,
    firstPaymentPercent: 70,
    paymentWorkingDays: null,
    reminderLeadMs: DAY,
    source: 'domain-rules §3.3 (unnamed city 简易程序; Qingdao-style 70 % advance)',
  },
];

export const defaultFundProfileId = 'national';

export function fundProfile(id: string | null | undefined): FundCityProfile {
  return fundCityProfiles.find((p) => p.id === id) ?? fundCityProfiles.find((p) => p.id === defaultFundProfileId)!;
}

export function isFundProfileId(id: string): boolean {
  return fundCityProfiles.some((p) => p.id === id);
}

/** Emergency categories of the 2015 green channel. */
export const fundCategories = ['elevator', 'fire_facility', 'roof_wall_leak', 'facade_falling', 'secondary_water_pump', 'drainage'] as const;
export type FundCategory = (typeof fundCategories)[number];

/**
 * Elevator alarms that open a case: equipment failures that endanger riders and need a repair
 * (2015 green channel 电梯故障; Beijing: "elevator failure endangering personal safety"; Hefei: repair
 * found necessary), by GB/T 24476 code (domain rules §1.2.1). Left out, each with its reason:
 * - trapped_at_level / trapped_not_level (7, 8): a rescue (§1.6), not necessarily a repair; most
 *   releases find an outside or human cause (Huai'an 2023: 149 power cuts, 145 human, 51 door system),
 *   and a fault found behind one raises its own alarm below (§3.4: 困人 "with a follow-up fault diagnosis");
 * - emergency_call (21), ebike_in_car: a passenger's call or behaviour, no equipment failure;
 * - power_failure (9): mains lost, outside the elevator;
 * - stopped_outside_door_zone (6): a symptom of a power cut or a rescue stop as often as of a fault;
 * - landing_button_stuck (14): does not endanger anyone;
 * - offline, arrival_overdue, maintenance_overdue, certificate_*: the platform's own, no state of the equipment.
 */
const elevatorAlarmTypes: ReadonlySet<string> = new Set<AlarmTypeName>([
  AlarmType.TopOvertravel,
  AlarmType.BottomOvertravel,
  AlarmType.Overspeed,
  AlarmType.DoorOpenWhileRunning,
  AlarmType.MovingWithDoorOpen,
  AlarmType.SafetyCircuitOpen,
  AlarmType.DoorOpenFault,
  AlarmType.DoorCloseFault,
  AlarmType.DoorLockCircuitOpen,
  AlarmType.SpeedAbnormal,
]);
/**
 * Fire alarms that open a case: the facility lost (part of) its function (2015 消防设施故障; Beijing
 * "fire system functional failure"; §3.4 trigger "fire-system 故障 or low pressure"): a fault, a fire
 * power fault, low hydrant/sprinkler pipe pressure and a low tank (GA 767 §5 lowest-pressure and
 * lowest-level alarms, domain rules §2.4). A fire alarm itself, supervisory, disabled (屏蔽, deliberate),
 * linkage started and over-pressure are not failures of the facility.
 */
const fireAlarmTypes: ReadonlySet<string> = new Set<AlarmTypeName>([AlarmType.FireFault, AlarmType.FirePowerFault, AlarmType.PressureLow, AlarmType.TankLevelLow]);

/** Every alarm type that opens a case. */
export const fundQualifyingAlarmTypes: readonly string[] = [...elevatorAlarmTypes, ...fireAlarmTypes];

/** The emergency category an alarm type qualifies for, or null (e.g. fire, emergency_call, offline). */
export function categoryOfAlarm(type: string): FundCategory | null {
  if (elevatorAlarmTypes.has(type)) return 'elevator';
  if (fireAlarmTypes.has(type)) return 'fire_facility';
  return null;
}
