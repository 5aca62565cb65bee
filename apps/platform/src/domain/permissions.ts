import { roles as accountRoles, sessionRoles as allRoles, type Role, type ServerToClientEvents } from '@app/contracts';

/**
 * The one permission table: what each role may do. Every REST route declares the permission it
 * needs (@Allow in middleware/permissions.decorator.ts, enforced by the guard), every socket.io
 * event is sent only to the holders of its permission (socketEventPermission below), and
 * services ask `can(user, …)` where a rule depends on the role. Scope (which communities) is a
 * separate, single check: services/access.service.ts requireInScope.
 */
export enum Permission {
  /** Own account: who am I, own password, own notification preferences and inbox, own units. */
  Self = 'self',
  UserManage = 'user.manage',
  /** Alerts about the platform itself (e.g. the ingestion log cannot be written), not about a community. */
  PlatformAlertRead = 'platform.alert.read',

  CommunityRead = 'community.read',
  CommunityCreate = 'community.create',
  /** Link owners and tenants to their units, import an estate's units. */
  UnitManage = 'unit.manage',
  /** Verify or refuse an owner's or tenant's claim to a unit, name a co-owned unit's representative. */
  UnitVerify = 'unit.verify',

  /** Devices, their live state and history (every role that sees a community sees its devices). */
  DeviceRead = 'device.read',
  DeviceManage = 'device.manage',
  DeadLetterRead = 'dead-letter.read',

  AlarmRead = 'alarm.read',
  AlarmHandle = 'alarm.handle',
  /** Detection settings, escalation chains and webhooks. */
  AlarmConfigure = 'alarm.configure',
  SupervisionRead = 'supervision.read',

  FundRead = 'fund.read',
  FundReport = 'fund.report',
  /** Route access to case transitions; which action each role may take is the case state machine's rule (domain/fund-case.ts). */
  FundTransition = 'fund.transition',
  FundEvidenceAdd = 'fund.evidence.add',
  FundSettingsManage = 'fund.settings.manage',
  FundCalendarManage = 'fund.calendar.manage',

  StatisticsRead = 'statistics.read',
  PropertyCompanyManage = 'property-company.manage',

  /** Slots, availability, bookings and one's own vehicles: every user may share or book a slot. */
  ParkingUse = 'parking.use',
  ParkingSlotManage = 'parking.slot.manage',
  /** Cancel any booking of the community (the guest may always cancel their own). */
  ParkingBookingManage = 'parking.booking.manage',
  /** Register plates for others, approve resident plates over the unit quota, lift plate blocks. */
  ParkingPlateManage = 'parking.plate.manage',
  ParkingSessionRead = 'parking.session.read',
  GateOperate = 'parking.gate.operate',

  TariffRead = 'billing.tariff.read',
  TariffManage = 'billing.tariff.manage',
  SplitManage = 'billing.split.manage',
  /** Every bill, the ledger and the statements of a community. */
  BillingRead = 'billing.read',
  /** Bills of one's own slot or one's own stay. */
  OwnBillRead = 'billing.own.read',
  PaymentRecord = 'billing.payment.record',
  /** Compare an online provider's daily statement with the platform's payments (the merchant account is the platform's). */
  PaymentReconcile = 'billing.payment.reconcile',

  BoardPublish = 'board.publish',
  /** Publish the committees' own board sections (issue 13 §6); which committee publishes which is domain/committee-board.ts. */
  CommitteeBoardPublish = 'board.committee.publish',

  /** Votes of a community and their results. */
  VoteRead = 'vote.read',
  /** Open a vote (业主共同决定): the owners' committee, or the property company with the committee's consent (vote.service.ts). */
  VoteOpen = 'vote.open',
  /** Route access to voting; who votes is decided by the units one represents (vote.service.ts), not the role. */
  VoteCast = 'vote.cast',
  /** Review a vote's decision, upheld or ordered corrected (seed 002 五 职责分工: the street office reviews the owners' decisions). */
  VoteReview = 'vote.review',
  /** Draw the lottery (摇号) for newly added parking slots with a published seed (seed 004 三(四)2(2)). */
  ParkingLotteryDraw = 'parking.lottery.draw',
  /** Satisfaction surveys of a community (满意度测评); without SurveyResultsRead only where one holds a verified unit (survey.service.ts). */
  SurveyRead = 'survey.read',
  /** Open and close a community's half-yearly survey: the property company or the owners' committee. */
  SurveyOpen = 'survey.open',
  /** Route access to answering; who answers is decided by the units one represents (survey.service.ts), not the role. */
  SurveyAnswer = 'survey.answer',
  /** Survey results per community and per company over time, in scope (a property company: its own communities). */
  SurveyResultsRead = 'survey.results.read',
  /** File complaints and repair requests, follow, reopen and rate one's own (every user; owners see only their own). */
  ComplaintFile = 'complaint.file',
  /** Every complaint of the communities in scope, not only one's own. */
  ComplaintReadAll = 'complaint.read-all',
  /** Respond, resolve, keep on the street's ledger; which level may act is the rule of domain/complaints.ts. */
  ComplaintHandle = 'complaint.handle',
  ComplaintSettingsManage = 'complaint.settings.manage',
  /** Turn a complaint into an emergency repair (a green-channel fund case): those who both handle complaints and may report fund cases. */
  ComplaintFundCase = 'complaint.fund-case',

  /** Maintenance plans, visits and inspection certificates of elevators and fire equipment (issue 12 §4). */
  MaintenanceRead = 'maintenance.read',
  /** Set a device's plan (its maintenance company and start): the property company as the use-unit (使用单位). */
  MaintenancePlanManage = 'maintenance.plan.manage',
  /** Record a visit and its photos: the maintenance company. */
  MaintenanceRecord = 'maintenance.record',
  /** Record an inspection certificate and its scan: the use-unit (property company) that keeps it, or the maintenance company from the duty desk. */
  MaintenanceCertificateRecord = 'maintenance.certificate.record',

  /** Credit grades (信用评价) of the companies serving communities in scope (a property company: its own), their assessments and weight sets. */
  CreditRead = 'credit.read',
  /** Record a 双随机 spot check, a street opinion or a survey result for a community (004 四(二): the street takes part). */
  CreditAssess = 'credit.assess',
  /** Publish a new weight set version (the grading authority, 004 五(三): 县(市、区)物业行政主管部门). */
  CreditConfigure = 'credit.configure',
  /** Run a year's grading; below 90 records the interview and the risk notice (004 五(三)). */
  CreditGrade = 'credit.grade',

  /** Maintenance-fund unit accounts (分户账, issue 13 §4): one's own units' (an owner), or all of the communities in scope (FundAccountReadAll). */
  FundAccountRead = 'fund.account.read',
  FundAccountReadAll = 'fund.account.read-all',
  /** Opening balances, deposits (缴存) and interest: the housing authority manages the fund (004 四(四)1 住建部门 负责交存、使用和管理). */
  FundAccountPost = 'fund.account.post',
  /** Move common income into the fund: whoever keeps it (004 三(四)4(2): the property company 代收代管, or the owners' committee). */
  FundCommonIncomeTransfer = 'fund.account.transfer',
  /** Record advertising or other common-area income into common income: whoever collects it (004 三(四)4(2): the property company 代收代管, or the owners' committee). */
  CommonIncomeRecord = 'fund.common-income.record',

  /**
   * A visitor from outside the estate (issue 13 §7): search the shared slots of communities that
   * admit visitors, book one, see and cancel their own bookings, see their own bills. Only the
   * `visitor` role holds it, and the visitor holds nothing else but OwnBillRead (to pay).
   */
  VisitorParking = 'visitor.parking',
  /** Whether a community admits visitors' bookings (off until property staff turn it on). */
  VisitorSettingsManage = 'visitor.settings.manage',
}

/** Every account role; not `visitor`, whose session reaches only what is granted to it by name below. */
const everyone: readonly Role[] = accountRoles;
const staff: readonly Role[] = ['platform_admin', 'property_staff'];
const alarmViewers: readonly Role[] = ['platform_admin', 'property_staff', 'maintenance_staff', 'street_officer', 'district_authority', 'owners_committee', 'residents_committee'];

export const permissionTable: Readonly<Record<Permission, readonly Role[]>> = {
  [Permission.Self]: everyone,
  [Permission.UserManage]: ['platform_admin'],
  [Permission.PlatformAlertRead]: ['platform_admin'],

  [Permission.CommunityRead]: everyone,
  [Permission.CommunityCreate]: ['platform_admin', 'district_authority'],
  [Permission.UnitManage]: staff,
  [Permission.UnitVerify]: ['platform_admin', 'property_staff', 'owners_committee'],

  [Permission.DeviceRead]: everyone,
  [Permission.DeviceManage]: staff,
  [Permission.DeadLetterRead]: ['platform_admin', 'property_staff', 'maintenance_staff'],

  [Permission.AlarmRead]: alarmViewers,
  [Permission.AlarmHandle]: ['platform_admin', 'property_staff', 'maintenance_staff', 'street_officer', 'district_authority'],
  [Permission.AlarmConfigure]: staff,
  [Permission.SupervisionRead]: alarmViewers,

  [Permission.FundRead]: everyone,
  [Permission.FundReport]: ['platform_admin', 'property_staff', 'maintenance_staff', 'owner', 'owners_committee', 'residents_committee', 'street_officer'],
  // Owners: only the ones a case concerns, and only to propose, put on notice or withdraw (domain/fund-case.ts proposerRoles).
  [Permission.FundTransition]: ['property_staff', 'owner', 'owners_committee', 'residents_committee', 'street_officer', 'district_authority'],
  [Permission.FundEvidenceAdd]: ['platform_admin', 'property_staff', 'maintenance_staff', 'owner', 'owners_committee', 'residents_committee', 'street_officer', 'district_authority'],
  [Permission.FundSettingsManage]: ['platform_admin', 'district_authority'],
  [Permission.FundCalendarManage]: ['platform_admin'],

  [Permission.StatisticsRead]: ['platform_admin', 'district_authority', 'street_officer'],
  [Permission.PropertyCompanyManage]: ['platform_admin'],

  [Permission.ParkingUse]: everyone,
  [Permission.ParkingSlotManage]: staff,
  [Permission.ParkingBookingManage]: staff,
  [Permission.ParkingPlateManage]: staff,
  [Permission.ParkingSessionRead]: staff,
  [Permission.GateOperate]: staff,

  [Permission.TariffRead]: everyone,
  [Permission.TariffManage]: staff,
  [Permission.SplitManage]: ['platform_admin', 'owners_committee'],
  [Permission.BillingRead]: ['platform_admin', 'property_staff', 'owners_committee', 'residents_committee', 'street_officer', 'district_authority'],
  // A visitor sees and pays the bill of their own stay.
  [Permission.OwnBillRead]: [...everyone, 'visitor'],
  [Permission.PaymentRecord]: staff,
  [Permission.PaymentReconcile]: ['platform_admin'],

  [Permission.BoardPublish]: staff,
  // Only the committees: not the property company, whose work the sections disclose.
  [Permission.CommitteeBoardPublish]: ['owners_committee', 'residents_committee'],

  [Permission.VoteRead]: everyone,
  [Permission.VoteOpen]: ['platform_admin', 'property_staff', 'owners_committee'],
  [Permission.VoteCast]: everyone,
  [Permission.VoteReview]: ['street_officer'],
  [Permission.ParkingLotteryDraw]: ['platform_admin', 'property_staff', 'owners_committee'],
  [Permission.SurveyRead]: everyone,
  [Permission.SurveyOpen]: ['platform_admin', 'property_staff', 'owners_committee'],
  [Permission.SurveyAnswer]: everyone,
  [Permission.SurveyResultsRead]: ['platform_admin', 'property_staff', 'owners_committee', 'residents_committee', 'street_officer', 'district_authority'],
  [Permission.ComplaintFile]: everyone,
  [Permission.ComplaintReadAll]: ['platform_admin', 'property_staff', 'owners_committee', 'residents_committee', 'street_officer', 'district_authority'],
  [Permission.ComplaintHandle]: ['platform_admin', 'property_staff', 'residents_committee', 'street_officer', 'district_authority'],
  // Not the property company: it would set its own deadlines.
  [Permission.ComplaintSettingsManage]: ['platform_admin', 'district_authority'],
  // Not the district: it approves the fund case, it does not open it.
  [Permission.ComplaintFundCase]: ['platform_admin', 'property_staff', 'residents_committee', 'street_officer'],

  [Permission.MaintenanceRead]: alarmViewers,
  [Permission.MaintenancePlanManage]: staff,
  [Permission.MaintenanceRecord]: ['platform_admin', 'maintenance_staff'],
  [Permission.MaintenanceCertificateRecord]: ['platform_admin', 'property_staff', 'maintenance_staff'],

  [Permission.CreditRead]: ['platform_admin', 'property_staff', 'street_officer', 'district_authority'],
  [Permission.CreditAssess]: ['platform_admin', 'street_officer', 'district_authority'],
  // Not the street, not the company: the district authority grades (004 五(三)).
  [Permission.CreditConfigure]: ['platform_admin', 'district_authority'],
  [Permission.CreditGrade]: ['platform_admin', 'district_authority'],

  [Permission.FundAccountRead]: everyone,
  [Permission.FundAccountReadAll]: ['platform_admin', 'property_staff', 'owners_committee', 'residents_committee', 'street_officer', 'district_authority'],
  [Permission.FundAccountPost]: ['platform_admin', 'district_authority'],
  [Permission.FundCommonIncomeTransfer]: ['platform_admin', 'property_staff', 'owners_committee'],
  [Permission.CommonIncomeRecord]: ['platform_admin', 'property_staff', 'owners_committee'],

  [Permission.VisitorParking]: ['visitor'],
  [Permission.VisitorSettingsManage]: staff,
};

const granted = new Map<Role, ReadonlySet<Permission>>(
  allRoles.map((role) => [role, new Set((Object.keys(permissionTable) as Permission[]).filter((p) => permissionTable[p].includes(role)))]),
);

export function roleHas(role: Role, permission: Permission): boolean {
  return granted.get(role)?.has(permission) ?? false;
}

/** Whether a user (anything with a role) holds any of the permissions. */
export function can(user: { role: Role }, ...permissions: Permission[]): boolean {
  return permissions.some((p) => roleHas(user.role, p));
}

export function permissionsOf(role: Role): ReadonlySet<Permission> {
  return granted.get(role) ?? new Set();
}

/**
 * Who receives each socket.io event of a community: the holders of its permission in scope.
 * `userFields` name payload fields of users (an id, or a list of ids) who receive the event whatever
 * their role (a guest hears about their own booking and bill, an owner about their slot's and their
 * unit's fund account). `device.*` go to everyone in scope (DeviceRead is every
 * role's), which keeps the 2,000-dashboard path on one room per community.
 */
export const socketEventPermission: { readonly [E in keyof ServerToClientEvents]: { permission: Permission; userFields?: readonly string[] } } = {
  'device.state': { permission: Permission.DeviceRead },
  'device.states': { permission: Permission.DeviceRead },
  'device.status': { permission: Permission.DeviceRead },
  'alarm.raised': { permission: Permission.AlarmRead },
  'alarm.updated': { permission: Permission.AlarmRead },
  'alarm.cleared': { permission: Permission.AlarmRead },
  'fund.case.updated': { permission: Permission.FundRead },
  'parking.occupancy': { permission: Permission.ParkingUse },
  'parking.gate.pending': { permission: Permission.GateOperate },
  'parking.overstay': { permission: Permission.ParkingSessionRead, userFields: ['userId'] },
  'parking.booking.cancelled': { permission: Permission.ParkingBookingManage, userFields: ['userId'] },
  'billing.bill.created': { permission: Permission.BillingRead, userFields: ['slotOwnerId', 'guestId'] },
  'supervision.community': { permission: Permission.SupervisionRead },
  // As the REST read: every item of the community to those who read all, one's own item to its filer.
  'complaint.changed': { permission: Permission.ComplaintReadAll, userFields: ['filedBy'] },
  'platform.alert': { permission: Permission.PlatformAlertRead },
  // As the REST read: every account of the community to those who read all, a unit's to its verified owners.
  'fund.account.movement': { permission: Permission.FundAccountReadAll, userFields: ['ownerIds'] },
};

/** The permissions that decide socket.io rooms (one room per community and permission). */
export const socketPermissions: readonly Permission[] = [...new Set(Object.values(socketEventPermission).map((e) => e.permission))];
