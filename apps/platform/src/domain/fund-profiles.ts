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

const elevatorAlarmTypes = new Set([
  'trapped_at_level',
  'trapped_not_level',
  'trapped',
  'safety_circuit_open',
  'power_failure',
  'door_lock_circuit_open',
  'top_overtravel',
  'bottom_overtravel',
  'overspeed',
  'door_open_while_running',
  'moving_with_door_open',
  'stopped_outside_door_zone',
  'door_open_fault',
  'door_close_fault',
  'landing_button_stuck',
  'speed_abnormal',
]);
const fireAlarmTypes = new Set(['fault', 'low_pressure', 'tank_level_low', 'tank_low', 'low_level', 'power_fault', 'powerFault']);

/** The emergency category an alarm type qualifies for, or null (e.g. fire, emergency_call, offline). */
export function categoryOfAlarm(type: string): FundCategory | null {
  if (elevatorAlarmTypes.has(type)) return 'elevator';
  if (fireAlarmTypes.has(type)) return 'fire_facility';
  return null;
}
