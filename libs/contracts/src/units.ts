import { z } from 'zod';

/** Units, their owners and tenants, and their verification (issue 13 §1). */

export const occupantStatusSchema = z.enum(['pending', 'verified', 'refused']);
export type OccupantStatus = z.infer<typeof occupantStatusSchema>;

/** POST /api/v1/units/:unitId/claims (multipart: `file`, the deed or contract, and this field). */
export const unitClaimFieldsSchema = z.object({ relation: z.enum(['owner', 'tenant']).default('owner') });

/** POST /api/v1/units/:unitId/occupants/:userId/decision: property staff or the owners' committee. */
export const unitClaimDecisionRequestSchema = z.object({
  decision: z.enum(['verify', 'refuse']),
  note: z.string().trim().max(500).optional(),
});
export type UnitClaimDecisionRequest = z.infer<typeof unitClaimDecisionRequestSchema>;

/** A claim or link awaiting (or past) verification, as listed for a community. */
export const unitClaimSchema = z.object({
  unitId: z.uuid(),
  building: z.string(),
  number: z.string(),
  floorArea: z.string().describe('square metres, exact decimal string'),
  userId: z.uuid(),
  username: z.string(),
  relation: z.enum(['owner', 'tenant']),
  status: occupantStatusSchema,
  representative: z.boolean(),
  documentName: z.string().nullable(),
  since: z.string(),
  decidedAt: z.string().nullable(),
  note: z.string().nullable(),
});
export type UnitClaim = z.infer<typeof unitClaimSchema>;

export const unitClaimQuerySchema = z.object({ status: occupantStatusSchema.optional() });

/** PUT /api/v1/units/:unitId/representative: which verified owner votes for a co-owned unit. */
export const unitRepresentativeRequestSchema = z.object({ userId: z.uuid() });

// ---- estate import

/** Most rows one import takes (a large estate). */
export const UNIT_IMPORT_MAX_ROWS = 20_000;
export const UNIT_IMPORT_MAX_BYTES = 4 * 1024 * 1024;

/** Columns of a unit import (building, unit number, floor area; optionally the owner's username, verified by the import). */
export const unitImportColumns = ['building', 'number', 'floorArea', 'owner', 'relation'] as const;

const blankToAbsent = (row: unknown) =>
  row && typeof row === 'object' && !Array.isArray(row) ? Object.fromEntries(Object.entries(row).filter(([, v]) => !(v === null || v === undefined || (typeof v === 'string' && v.trim() === '')))) : row;

export const unitImportRowSchema = z.preprocess(
  blankToAbsent,
  z.object({
    building: z.string().trim().min(1).max(64),
    number: z.string().trim().min(1).max(32),
    floorArea: z
      .string()
      .trim()
      .regex(/^\d{1,6}(\.\d{1,2})?$/, 'floor area (建筑面积) in square metres, up to 2 decimals')
      .refine((a) => Number(a) > 0, 'floor area must be more than 0'),
    owner: z.string().trim().min(3).max(64).optional(),
    relation: z.enum(['owner', 'tenant']).default('owner'),
  }),
);
export type UnitImportRow = z.infer<typeof unitImportRowSchema>;

export const unitImportRejectionSchema = z.object({ row: z.number().int(), reason: z.string() });
export type UnitImportRejection = z.infer<typeof unitImportRejectionSchema>;

export const unitImportResultSchema = z.object({
  rows: z.number().int(),
  /** Units created. */
  created: z.number().int(),
  /** Buildings created for them. */
  buildingsCreated: z.number().int(),
  /** Owners or tenants linked (verified by the import). */
  linked: z.number().int(),
  rejected: z.array(unitImportRejectionSchema),
  elapsedMs: z.number(),
});
export type UnitImportResult = z.infer<typeof unitImportResultSchema>;
