import { z } from 'zod';
import { parkingDisclosureSchema } from './billing';
import { slotLotterySchema } from './parking';
import { committeeSectionSchema, committeeSectionStatusSchema } from './committee-board';
import { fundDisclosureSchema } from './fund';
import { commonIncomeReceiptSchema } from './fund-accounts';
import { boardVoteSchema } from './votes';

/**
 * The public disclosure board (公示栏) of a community: the sections an administrator publishes,
 * each with a structured, validated content. Every publication is a new version; the board shows
 * the latest one of each section. The list follows the items property service companies must
 * disclose and keep up to date (物业服务信息公开公示制度): the project manager and contacts,
 * complaint phone, service content and standards, fee items and standards, the maintenance
 * companies of elevators and fire equipment, common income and its use, elevator maintenance
 * (with its cost) and inspection records, public water/electricity cost sharing, and notices.
 * Parking fees, slot usage and maintenance-fund cases are derived live from existing data.
 */
export const boardSections = [
  'manager_contacts',
  'service_items_fees',
  'elevator_maintenance_records',
  'elevator_inspection_records',
  'common_income_use',
  'utility_cost_sharing',
  'notices',
] as const;
export const boardSectionSchema = z.enum(boardSections);
export type BoardSection = z.infer<typeof boardSectionSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().trim().max(max).optional();
const phone = z
  .string()
  .trim()
  .regex(/^[0-9+\-() ]{3,30}$/, 'a phone number: digits, spaces, + - ( )');
const isoDate = z.iso.date();
/** Money in integer fen (分), never floating point. */
const fen = z.number().int().min(0).max(1_000_000_000_000);

export const managerContactsSchema = z.object({
  /** 物业服务企业 */
  company: text(120),
  /** 项目负责人基本情况 */
  projectManager: z.object({ name: text(40), title: optionalText(60), phone, qualification: optionalText(120) }),
  /** 物业服务电话 / 投诉电话 */
  servicePhone: phone,
  complaintPhone: phone,
  /** 属地街道 / 主管部门监督电话 */
  supervisionPhone: phone.optional(),
  officeAddress: optionalText(200),
  officeHours: optionalText(100),
  /** Other contacts (客服、保安、维修…). */
  contacts: z.array(z.object({ role: text(40), name: text(40), phone })).max(20).default([]),
  /** 电梯、消防等设施设备维保单位和联系方式 */
  facilityContractors: z
    .array(z.object({ facility: z.enum(['elevator', 'fire', 'water_supply', 'power', 'security', 'other']), company: text(120), contact: optionalText(40), phone }))
    .max(20)
    .default([]),
});
export type ManagerContacts = z.infer<typeof managerContactsSchema>;

export const serviceItemsFeesSchema = z.object({
  /** 包干制 / 酬金制 */
  pricingMode: z.enum(['lump_sum', 'commission']),
  /** 服务等级 (e.g. 二级) */
  serviceLevel: optionalText(40),
  contractFrom: isoDate.optional(),
  contractTo: isoDate.optional(),
  /** 物业服务内容和标准 */
  services: z.array(z.object({ name: text(60), standard: text(500) })).max(40).default([]),
  /** 收费项目和标准 */
  fees: z.array(z.object({ name: text(60), priceFen: fen, unit: text(30), basis: optionalText(200) })).min(1).max(40),
  /** 家政、养老等延伸服务 (agreed prices) */
  extraServices: z.array(z.object({ name: text(60), priceFen: fen, unit: text(30) })).max(40).default([]),
  note: optionalText(500),
});
export type ServiceItemsFees = z.infer<typeof serviceItemsFeesSchema>;

export const elevatorMaintenanceRecordsSchema = z.object({
  /** 维保单位 */
  maintainer: text(120),
  maintainerPhone: phone,
  records: z
    .array(
      z.object({
        elevator: text(60),
        date: isoDate,
        kind: z.enum(['half_monthly', 'quarterly', 'half_yearly', 'yearly', 'repair']),
        content: text(500),
        /** 电梯维护保养支出 */
        costFen: fen.default(0),
        signedBy: optionalText(40),
        /** The maintenance company of this elevator, when the board fills the section from the records. */
        company: optionalText(120),
      }),
    )
    .min(1)
    .max(500),
});
export type ElevatorMaintenanceRecords = z.infer<typeof elevatorMaintenanceRecordsSchema>;

export const elevatorInspectionRecordsSchema = z.object({
  records: z
    .array(
      z
        .object({
          elevator: text(60),
          /** 使用登记证编号 / 注册代码 */
          registrationCode: optionalText(60),
          agency: text(120),
          inspectedOn: isoDate,
          result: z.enum(['pass', 'pass_after_rectification', 'fail']),
          certificateNo: optionalText(60),
          nextDueOn: isoDate,
        })
        .refine((r) => r.nextDueOn > r.inspectedOn, { message: 'nextDueOn must be after inspectedOn', path: ['nextDueOn'] }),
    )
    .min(1)
    .max(500),
});
export type ElevatorInspectionRecords = z.infer<typeof elevatorInspectionRecordsSchema>;

export const commonIncomeUseSchema = z
  .object({
    /** e.g. "2026年第三季度" */
    period: text(60),
    periodFrom: isoDate,
    periodTo: isoDate,
    /** 业主共有部分经营收益 (advertising, venue rental, …); parking common income is shown live. */
    income: z.array(z.object({ source: text(100), amountFen: fen })).max(100),
    /** 收益去向 and the decision that approved it. */
    uses: z.array(z.object({ purpose: text(200), amountFen: fen, approvedBy: optionalText(200) })).max(100),
    accountHolder: optionalText(120),
    note: optionalText(500),
  })
  .refine((v) => v.periodTo >= v.periodFrom, { message: 'periodTo must not be before periodFrom', path: ['periodTo'] });
export type CommonIncomeUse = z.infer<typeof commonIncomeUseSchema>;

export const utilityCostSharingSchema = z.object({
  period: text(60),
  /** 公共水电费分摊情况 */
  items: z.array(z.object({ item: text(60), totalFen: fen, basis: text(200), perUnit: optionalText(100) })).min(1).max(40),
  note: optionalText(500),
});
export type UtilityCostSharing = z.infer<typeof utilityCostSharingSchema>;

export const noticesSchema = z.object({
  items: z.array(z.object({ title: text(100), body: text(2000), date: isoDate.optional() })).min(1).max(30),
});
export type Notices = z.infer<typeof noticesSchema>;

/** The content schema of each section. */
export const boardContentSchemas = {
  manager_contacts: managerContactsSchema,
  service_items_fees: serviceItemsFeesSchema,
  elevator_maintenance_records: elevatorMaintenanceRecordsSchema,
  elevator_inspection_records: elevatorInspectionRecordsSchema,
  common_income_use: commonIncomeUseSchema,
  utility_cost_sharing: utilityCostSharingSchema,
  notices: noticesSchema,
} as const satisfies Record<BoardSection, z.ZodType>;

/** POST body: one section and its content, validated by the section's schema. */
export const publishBoardItemRequestSchema = z.discriminatedUnion('section', [
  z.object({ section: z.literal('manager_contacts'), content: managerContactsSchema }),
  z.object({ section: z.literal('service_items_fees'), content: serviceItemsFeesSchema }),
  z.object({ section: z.literal('elevator_maintenance_records'), content: elevatorMaintenanceRecordsSchema }),
  z.object({ section: z.literal('elevator_inspection_records'), content: elevatorInspectionRecordsSchema }),
  z.object({ section: z.literal('common_income_use'), content: commonIncomeUseSchema }),
  z.object({ section: z.literal('utility_cost_sharing'), content: utilityCostSharingSchema }),
  z.object({ section: z.literal('notices'), content: noticesSchema }),
]);
export type PublishBoardItemRequest = z.infer<typeof publishBoardItemRequestSchema>;

/** One published version of a section. */
export const boardItemSchema = z.object({
  id: z.string(),
  communityId: z.uuid(),
  /** A section of the property company's or (committee-items) of a committee's. */
  section: z.union([boardSectionSchema, committeeSectionSchema]),
  version: z.number().int(),
  content: z.unknown().describe("the section's content, as its schema in boardContentSchemas"),
  publishedAt: z.string(),
  publishedBy: z.string().nullable(),
});
export type BoardItem = z.infer<typeof boardItemSchema>;

/** GET board/communities/:id/audit: who published which version, when. */
export const boardAuditEntrySchema = z.object({ id: z.string(), at: z.string(), actorId: z.string().nullable(), action: z.string(), detail: z.unknown() });

/** GET /api/v1/public/communities/:id/board: the whole public board, each section with its last update. */
export const publicBoardSchema = z.object({
  community: z.object({ id: z.uuid(), name: z.string(), district: z.string(), street: z.string(), address: z.string().nullable() }),
  generatedAt: z.string(),
  timeZone: z.string(),
  sections: z
    .record(
      z.string(),
      z
        .object({
          version: z.number().int(),
          lastUpdated: z.string(),
          content: z.unknown(),
          /** published: typed in on the admin page; records: filled from the maintenance records (the elevator sections; version = number of records). */
          source: z.enum(['published', 'records']).optional(),
        })
        .nullable(),
    )
    .describe('every section (boardSections), null when never published (or, for the elevator sections, nothing recorded yet)'),
  parkingFees: z.object({
    lastUpdated: z.string().nullable(),
    currentTariff: parkingDisclosureSchema.shape.currentTariff,
    tariffHistory: parkingDisclosureSchema.shape.tariffHistory,
  }),
  commonIncome: z.object({
    lastUpdated: z.string(),
    month: z.string(),
    parkingRevenueFen: z.number().int(),
    commonIncomeFen: z.number().int(),
    collectedFen: z.number().int(),
    bills: z.number().int(),
    /** Advertising and other common-area income received in the month (recorded by staff, booked to common income). */
    otherIncomeFen: z.number().int(),
    otherIncome: z.array(commonIncomeReceiptSchema.omit({ communityId: true, memo: true })),
  }),
  slotUsage: z.object({
    lastUpdated: z.string(),
    totalSlots: z.number().int(),
    privateSlots: z.number().int(),
    commonSlots: z.number().int(),
    fireLaneSlots: z.number().int(),
    shareableSlots: z.number().int(),
    vehiclesInside: z.number().int(),
    freeCommonSlots: z.number().int(),
  }),
  fundCases: z.object({
    lastUpdated: z.string().nullable(),
    totalFen: z.number().int(),
    cases: z.array(
      fundDisclosureSchema.shape.cases.element.pick({ id: true, title: true, category: true, contractor: true, totalFen: true, disclosedAt: true, shares: true }),
    ),
    /** Cases in their public notice period (公示期), shown for the whole period, before any disclosure. */
    inNotice: z.array(
      z.object({
        id: z.uuid(),
        title: z.string(),
        category: z.string(),
        repairPlan: z.string().nullable(),
        contractor: z.string().nullable(),
        budgetFen: z.number().int().nullable(),
        chargedBuildings: z.array(z.string()).describe('names of the buildings charged; empty when the whole estate is'),
        noticeFrom: z.string(),
        noticeEndsAt: z.string(),
      }),
    ),
  }),
  /** The committees' sections (业委会收支, 决定, 联席会议纪要), each flagged stale when not updated within its period. */
  committee: z.array(committeeSectionStatusSchema),
  /** Lotteries (摇号) for added slots, newest first: seed, method, entrants and result, to re-run. */
  slotLotteries: z.object({ lastUpdated: z.string().nullable(), lotteries: z.array(slotLotterySchema) }),
  /** Owners' joint decisions (业主共同决定): every closed vote with its tallies by area and headcount, newest first. */
  ownerDecisions: z.object({
    lastUpdated: z.string().nullable(),
    votes: z.array(boardVoteSchema),
  }),
});
