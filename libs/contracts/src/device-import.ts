import { z } from 'zod';
import { createDeviceRequestSchema, deviceCredentialsResponseSchema } from './rest';

/** Most rows one import takes (a property company's whole fleet). */
export const DEVICE_IMPORT_MAX_ROWS = 50_000;

/** Largest CSV file one import takes (50,000 rows of about 200 bytes, with room to spare). */
export const DEVICE_IMPORT_MAX_BYTES = 32 * 1024 * 1024;

/** Columns of an import file, in this order in the template; `id`, `subtype` (fire only), `location`, `buildingId` may be empty. */
export const deviceImportColumns = ['id', 'communityId', 'kind', 'subtype', 'name', 'location', 'buildingId'] as const;

/** One row of an import: the same fields and rules as provisioning one device; blank cells count as absent. */
export const deviceImportRowSchema = z.preprocess(
  (row) =>
    row && typeof row === 'object' && !Array.isArray(row)
      ? Object.fromEntries(Object.entries(row).filter(([, v]) => !(v === null || v === undefined || (typeof v === 'string' && v.trim() === ''))))
      : row,
  createDeviceRequestSchema,
);

/** The JSON form of an import; `communityId` is used for rows that name none. */
export const deviceImportRequestSchema = z.object({
  communityId: z.uuid().optional(),
  devices: z.array(z.unknown()).min(1).max(DEVICE_IMPORT_MAX_ROWS),
});
export type DeviceImportRequest = z.infer<typeof deviceImportRequestSchema>;

export const deviceImportQuerySchema = z.object({
  /** For rows (CSV or JSON) without a communityId. */
  communityId: z.uuid().optional(),
  /** `csv`: one line per input row with its outcome and, for created devices, the secret. */
  format: z.enum(['json', 'csv']).default('json'),
  /** Rows per transaction. */
  batchSize: z.coerce.number().int().min(1).max(5000).default(1000),
});

/** A row that was not created; `row` counts data rows from 1 (a CSV header is not a row). */
export const deviceImportRejectionSchema = z.object({
  row: z.number().int(),
  id: z.string().optional(),
  reason: z.string(),
});
export type DeviceImportRejection = z.infer<typeof deviceImportRejectionSchema>;

export const deviceImportResultSchema = z.object({
  rows: z.number().int(),
  created: z.number().int(),
  rejected: z.array(deviceImportRejectionSchema),
  /** The created devices with their secrets: shown this once, stored only as hashes. */
  devices: z.array(deviceCredentialsResponseSchema.extend({ row: z.number().int() })),
  batches: z.object({ total: z.number().int(), failed: z.number().int(), size: z.number().int() }),
  elapsedMs: z.number(),
});
export type DeviceImportResult = z.infer<typeof deviceImportResultSchema>;
