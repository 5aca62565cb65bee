import { z } from 'zod';
import { unitImportRejectionSchema } from './units';

/**
 * Maintenance-fund accounts per unit (专项维修资金分户账, issue 13 §4). Money is in fen (integers);
 * a movement's amount is signed: + into the unit's account, − out of it (a case's share).
 */
const isoDate = z.iso.date().refine((d) => d >= '2000-01-01', { message: 'must be in 2000 or later' });
const positiveFen = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const FUND_OPENING_MAX_BYTES = 4 * 1024 * 1024;
export const FUND_OPENING_MAX_ROWS = 20_000;

/** Columns of an opening-balance import: the unit (building and number, as in the unit import) and its balance in yuan. */
export const fundOpeningColumns = ['building', 'number', 'balance'] as const;
export const fundOpeningRowSchema = z.object({
  building: z.string().trim().min(1).max(64),
  number: z.string().trim().min(1).max(32),
  balance: z.string().trim().regex(/^\d{1,12}(\.\d{1,2})?$/, 'balance in yuan, not negative, up to 2 decimals'),
});
export type FundOpeningRow = z.infer<typeof fundOpeningRowSchema>;

/** POST …/opening-balances/import?asOf=YYYY-MM-DD: the day the balances are booked on. */
export const fundOpeningQuerySchema = z.object({ asOf: isoDate });
export const fundOpeningResultSchema = z.object({
  rows: z.number().int(),
  /** Units whose opening balance was booked. */
  posted: z.number().int(),
  totalFen: z.number().int(),
  rejected: z.array(unitImportRejectionSchema),
});
export type FundOpeningResult = z.infer<typeof fundOpeningResultSchema>;

/** POST /api/v1/fund-accounts/units/:unitId/deposits (缴存): a slip reference is booked once. */
export const fundDepositRequestSchema = z.object({ amountFen: positiveFen, reference: z.string().trim().min(1).max(64), depositedOn: isoDate });
export type FundDepositRequest = z.infer<typeof fundDepositRequestSchema>;

/** POST …/communities/:id/interest: one posting a community and day; the rate is the fraction of each balance paid (0.0035 = 0.35 %). */
export const fundInterestRequestSchema = z.object({
  rate: z.string().trim().regex(/^0(\.\d{1,8})?$/, 'a decimal fraction below 1, up to 8 decimals, e.g. 0.0035'),
  postedOn: isoDate,
});
export type FundInterestRequest = z.infer<typeof fundInterestRequestSchema>;

/** POST …/communities/:id/transfers: common income (parking, advertising) into the fund, split by floor area; a reference is booked once. */
export const fundTransferRequestSchema = z.object({
  amountFen: positiveFen,
  reference: z.string().trim().min(1).max(64),
  postedOn: isoDate,
  memo: z.string().trim().max(200).optional(),
});
export type FundTransferRequest = z.infer<typeof fundTransferRequestSchema>;

/** What a common-area income is of (004 三(四)4(2) 停车、投放广告以及其他经营活动; parking feeds common income by itself). */
export const commonIncomeCategories = ['advertising', 'venue', 'other'] as const;
export const commonIncomeCategorySchema = z.enum(commonIncomeCategories);

/**
 * POST …/communities/:id/common-income: advertising (or other common-area) income received,
 * credited to the community's common income, which transfers move into the fund. A contract's
 * income for a period starting on a day is booked once.
 */
export const commonIncomeRequestSchema = z
  .object({
    category: commonIncomeCategorySchema.default('advertising'),
    amountFen: positiveFen,
    /** Who paid (an advertiser, a tenant of a common room). */
    payer: z.string().trim().min(1).max(100),
    /** The contract (its number or name) the income is due under. */
    contractRef: z.string().trim().min(1).max(64),
    /** The period the income is for. */
    periodFrom: isoDate,
    periodTo: isoDate,
    /** The day it was received (not in the future). */
    receivedOn: isoDate,
    memo: z.string().trim().max(200).optional(),
  })
  .refine((v) => v.periodTo >= v.periodFrom, { message: 'periodTo must not be before periodFrom', path: ['periodTo'] });
export type CommonIncomeRequest = z.infer<typeof commonIncomeRequestSchema>;

export const commonIncomeReceiptSchema = z.object({
  entryId: z.uuid(),
  communityId: z.uuid(),
  category: commonIncomeCategorySchema,
  amountFen: z.number().int(),
  payer: z.string(),
  contractRef: z.string(),
  periodFrom: z.string(),
  periodTo: z.string(),
  receivedOn: z.string(),
  memo: z.string().nullable(),
});
export type CommonIncomeReceipt = z.infer<typeof commonIncomeReceiptSchema>;
export const commonIncomeResultSchema = commonIncomeReceiptSchema.extend({
  /** What the community's common income holds after this receipt (parking and other income, less transfers). */
  commonIncomeFen: z.number().int(),
});

export const fundPostingResultSchema = z.object({
  entryId: z.uuid(),
  totalFen: z.number().int(),
  allocations: z.array(z.object({ unitId: z.uuid(), amountFen: z.number().int() })),
});

/** A statement's year; the current one (in the business time zone) when left out. */
export const fundYearQuerySchema = z.object({ year: z.coerce.number().int().min(2000).max(2100).optional() });
export const fundCommunityQuerySchema = z.object({ communityId: z.uuid() });

export const fundMovementKindSchema = z.enum(['fund_opening', 'fund_deposit', 'fund_share', 'fund_interest', 'fund_transfer']);

export const fundUnitAccountSchema = z.object({
  unitId: z.uuid(),
  communityId: z.uuid(),
  building: z.string(),
  number: z.string(),
  floorArea: z.string(),
  balanceFen: z.number().int(),
});
export const fundMovementSchema = z.object({
  entryId: z.uuid(),
  kind: fundMovementKindSchema,
  bookedOn: z.string(),
  amountFen: z.number().int().describe('+ into the account, − out of it'),
  memo: z.string(),
});
export const fundUnitAccountDetailSchema = fundUnitAccountSchema.extend({ movements: z.array(fundMovementSchema) });

export const fundStatementSchema = z.object({
  openingFen: z.number().int(),
  importedFen: z.number().int().describe('opening balances brought onto the platform during the year'),
  depositsFen: z.number().int(),
  sharesTakenFen: z.number().int(),
  interestFen: z.number().int(),
  transfersInFen: z.number().int(),
  closingFen: z.number().int(),
});
export const fundUnitStatementSchema = fundUnitAccountSchema.omit({ balanceFen: true }).extend({ year: z.number().int(), statement: fundStatementSchema });
export const fundCommunityStatementSchema = z.object({
  communityId: z.uuid(),
  year: z.number().int(),
  total: fundStatementSchema,
  units: z.array(fundUnitStatementSchema),
  /** The unit accounts' balance in the ledger at the year's end, summed apart from the statements; reconciled when it equals total.closingFen. */
  ledgerClosingFen: z.number().int(),
  reconciled: z.boolean(),
});

/**
 * Socket event `fund.account.movement`: a posting moved a unit's account (a deposit, a disclosed
 * case's share, interest, a transfer of common income), sent after the posting committed to the
 * unit's verified owners (ownerIds) and to those of the community who read every account.
 */
export const fundAccountMovementEventSchema = z.object({
  communityId: z.uuid(),
  unitId: z.uuid(),
  entryId: z.uuid(),
  kind: fundMovementKindSchema,
  bookedOn: z.string(),
  amountFen: z.number().int().describe('+ into the account, − out of it'),
  memo: z.string(),
  /** The account's balance with this movement (every posting so far, whatever its day). */
  balanceFen: z.number().int(),
  /** The unit's verified owners: they receive it whatever their role. */
  ownerIds: z.array(z.uuid()),
  ts: z.number(),
});
export type FundAccountMovementEvent = z.infer<typeof fundAccountMovementEventSchema>;

/** Socket.io events of this area, merged into ServerToClientEvents (contract §5: each payload carries communityId). */
export interface FundAccountServerEvents {
  'fund.account.movement': (event: FundAccountMovementEvent) => void;
}
