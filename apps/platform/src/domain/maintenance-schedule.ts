/**
 * When maintenance and inspection of elevators and fire equipment fall due, and whether they are
 * overdue (issue 12 §4). Pure: every function takes the records and the time.
 *
 * Elevators: TSG T5002-2017 电梯维护保养规则 (domain rules, table of standards) divides maintenance
 * into half-monthly, quarterly, half-yearly and yearly items (Art. 9, Annex A); each longer
 * interval's items include the shorter ones' ("除符合半月维护保养的项目（内容）和要求外…"), so a
 * yearly visit also counts as the quarterly, half-yearly and half-monthly one. The annual periodic
 * inspection (定期检验) gives a certificate with an expiry; the platform warns 30 days ahead.
 * Fire equipment: GB 25201-2010 建筑消防设施的维护管理 asks for a monthly inspection (月检查)
 * and a yearly test (年度检测) of the building's fire facilities. GB 25201 is not yet in
 * domain-rules.md: the intervals here are the standard's, to be confirmed there.
 */

export const elevatorVisitKinds = ['half_monthly', 'quarterly', 'half_yearly', 'yearly'] as const;
export const fireVisitKinds = ['monthly_inspection', 'annual_test'] as const;
export const visitKinds = [...elevatorVisitKinds, ...fireVisitKinds] as const;
export type VisitKind = (typeof visitKinds)[number];
export type PlanRegime = 'tsg_t5002' | 'gb_25201';

const DAY_MS = 86_400_000;

/** The longest gap allowed between two visits of a kind, in days. */
export const intervalDays: Readonly<Record<VisitKind, number>> = {
  half_monthly: 15, // TSG T5002-2017: 半月维保, at least once every 15 days
  quarterly: 90,
  half_yearly: 182,
  yearly: 365,
  monthly_inspection: 31, // GB 25201-2010: 月检查
  annual_test: 365, // GB 25201-2010: 年度检测
};

/** How far ahead of its expiry an inspection certificate raises a warning. */
export const CERTIFICATE_WARNING_DAYS = 30;

export function kindsOf(regime: PlanRegime): readonly VisitKind[] {
  return regime === 'tsg_t5002' ? elevatorVisitKinds : fireVisitKinds;
}

/** The kinds a visit of `kind` counts for: itself and, for elevators, every shorter interval (TSG T5002 Annex A). */
export function satisfiedBy(kind: VisitKind): readonly VisitKind[] {
  const i = elevatorVisitKinds.indexOf(kind as (typeof elevatorVisitKinds)[number]);
  return i >= 0 ? elevatorVisitKinds.slice(0, i + 1) : [kind];
}

export interface VisitDone {
  kind: VisitKind;
  at: number;
}

export interface DueItem {
  kind: VisitKind;
  /** The last visit counting for this kind, or null: the plan's start is then the reference. */
  lastAt: number | null;
  dueAt: number;
  overdue: boolean;
}

/** Each kind of a plan: when it is next due (last counting visit, or the plan's start, plus its interval) and whether that has passed. */
export function dueItems(regime: PlanRegime, startedAt: number, visits: readonly VisitDone[], now: number): DueItem[] {
  return kindsOf(regime).map((kind) => {
    const counting = visits.filter((v) => satisfiedBy(v.kind).includes(kind)).map((v) => v.at);
    const lastAt = counting.length ? Math.max(...counting) : null;
    const dueAt = (lastAt ?? startedAt) + intervalDays[kind] * DAY_MS;
    return { kind, lastAt, dueAt, overdue: now > dueAt };
  });
}

export type CertificateStatus = 'valid' | 'expiring' | 'expired' | 'missing';

/** A certificate expiring at `expiresAt` (end of its last day): expired after it, expiring within CERTIFICATE_WARNING_DAYS of it. */
export function certificateStatus(expiresAt: number | null, now: number): CertificateStatus {
  if (expiresAt === null) return 'missing';
  if (now >= expiresAt) return 'expired';
  return expiresAt - now <= CERTIFICATE_WARNING_DAYS * DAY_MS ? 'expiring' : 'valid';
}

/**
 * How long after its registration on the platform an elevator may run without an inspection
 * certificate on record. 特种设备安全法 (2013) Art. 32–33: an elevator is put into use only after
 * its (supervisory) inspection, and the use-unit registers it within 30 days of putting it into
 * use; the platform gives the same 30 days for its certificate to be entered.
 */
export const CERTIFICATE_MISSING_GRACE_DAYS = 30;

/** An elevator registered at `registeredAt` with no certificate on record is missing one once the grace period has run out. */
export function certificateMissing(registeredAt: number, hasCertificate: boolean, now: number, graceDays = CERTIFICATE_MISSING_GRACE_DAYS): boolean {
  return !hasCertificate && now >= registeredAt + graceDays * DAY_MS;
}

/**
 * The items of each kind of visit the maintenance company ticks off (the plan's item list),
 * abridged from TSG T5002-2017 Annex A (tables: half-monthly, quarterly, half-yearly,
 * yearly items; a longer interval also includes the shorter ones' items, see satisfiedBy) and
 * GB 25201-2010 (monthly inspection, yearly test of the building's fire facilities). The wording
 * follows the standards' item names; the full tables are to be confirmed in domain-rules.md.
 */
export const visitItems: Readonly<Record<VisitKind, readonly string[]>> = {
  half_monthly: [
    '机房、滑轮间环境',
    '手动紧急操作装置',
    '驱动主机',
    '制动器各销轴部位润滑',
    '制动器间隙',
    '限速器各销轴部位',
    '层门和轿门旁路装置',
    '紧急电动运行',
    '轿顶检修开关、停止装置',
    '井道照明',
    '轿厢照明、风扇、应急照明',
    '轿内报警装置、对讲系统',
    '轿门防撞击保护装置',
    '轿门门锁电气触点',
    '轿厢平层准确度',
    '层站召唤、层楼显示',
    '层门自动关门装置',
    '层门门锁电气触点',
    '底坑环境',
    '底坑急停开关',
  ],
  quarterly: ['减速机润滑油', '制动衬清洁、磨损量', '编码器', '选层器动静触点', '曳引轮槽、悬挂装置', '限速器旋转部件润滑', '缓冲器', '层门、轿门门扇', '对重缓冲距', '补偿链（绳）与轿厢、对重接合处'],
  half_yearly: ['电动机与减速机联轴器', '驱动轮、导向轮轴承部', '曳引轮槽、悬挂装置磨损', '限速器钢丝绳', '控制柜内各接线端子', '井道、对重、轿顶各反绳轮轴承部', '门锁电气触点清洁', '上下极限开关', '轿厢称重装置'],
  yearly: ['控制柜接触器、继电器触点', '制动器铁芯（柱塞）', '制动器制动能力', '导电回路绝缘性能测试', '限速器安全钳联动试验', '上行超速保护装置动作试验', '轿厢和对重导轨支架', '轿厢和对重导轨', '随行电缆', '轿厢超载保护装置'],
  monthly_inspection: ['火灾报警控制器自检、消音、复位', '火灾探测器、手动报警按钮抽检', '消防水泵启动运行', '消火栓箱及配件', '喷淋系统末端试水', '消防水箱、水池水位', '防火门、防火卷帘', '应急照明和疏散指示标志', '消防电源切换', '灭火器外观及压力'],
  annual_test: ['火灾自动报警系统联动功能', '自动喷水灭火系统功能', '消火栓系统功能及压力', '防排烟系统功能', '消防电梯功能', '消防电源与备用电源', '防火分隔设施', '检测报告存档'],
};
