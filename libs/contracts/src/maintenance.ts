import { z } from 'zod';
import { deviceIdSchema } from './device';

/**
 * Maintenance plans and inspections (issue 12 §4): elevators under TSG T5002 (half-monthly,
 * quarterly, half-yearly, yearly visits), fire equipment under GB 25201 (monthly inspection,
 * yearly test); visits recorded by the maintenance company; periodic inspection certificates.
 */
export const maintenanceRegimeSchema = z.enum(['tsg_t5002', 'gb_25201']);
export const maintenanceVisitKindSchema = z.enum(['half_monthly', 'quarterly', 'half_yearly', 'yearly', 'monthly_inspection', 'annual_test']);
export type MaintenanceVisitKind = z.infer<typeof maintenanceVisitKindSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);
const phone = z
  .string()
  .trim()
  .regex(/^[0-9+\-() ]{3,30}$/, 'a phone number: digits, spaces, + - ( )');

/** PUT maintenance/devices/:id/plan: the device's plan; the regime follows the device (elevator: TSG T5002, fire: GB 25201). */
export const maintenancePlanRequestSchema = z.object({
  /** 维保单位 and its phone. */
  company: text(120),
  companyPhone: phone,
  /** The plan runs from here: the first visits fall due one interval after it. */
  startedAt: z.iso.datetime({ offset: true }),
});
export type MaintenancePlanRequest = z.infer<typeof maintenancePlanRequestSchema>;

/** POST maintenance/devices/:id/visits: one visit by the maintenance company. */
export const maintenanceVisitRequestSchema = z.object({
  kind: maintenanceVisitKindSchema,
  visitedAt: z.iso.datetime({ offset: true }),
  /** Who did the work (维保人员). */
  worker: text(60),
  /** The items done (Annex A of TSG T5002 for elevators). */
  items: z.array(text(200)).min(1).max(100),
  note: z.string().trim().max(1000).optional(),
  /** What the visit cost (电梯维护保养支出, shown on the board), in integer fen. */
  costFen: z.number().int().min(0).max(1_000_000_000_000).default(0),
});
export type MaintenanceVisitRequest = z.infer<typeof maintenanceVisitRequestSchema>;

/** POST maintenance/devices/:id/certificates: a periodic inspection (定期检验) and its certificate. */
export const inspectionCertificateRequestSchema = z
  .object({
    agency: text(120),
    certificateNo: z.string().trim().max(60).optional(),
    result: z.enum(['pass', 'pass_after_rectification', 'fail']),
    inspectedOn: z.iso.date(),
    expiresOn: z.iso.date(),
  })
  .refine((r) => r.expiresOn > r.inspectedOn, { message: 'expiresOn must be after inspectedOn', path: ['expiresOn'] });
export type InspectionCertificateRequest = z.infer<typeof inspectionCertificateRequestSchema>;

export const maintenanceVisitSchema = z.object({
  id: z.uuid(),
  deviceId: deviceIdSchema,
  communityId: z.uuid(),
  kind: maintenanceVisitKindSchema,
  visitedAt: z.string(),
  worker: z.string(),
  items: z.array(z.string()),
  note: z.string().nullable(),
  costFen: z.number().int(),
  /** Added after the visit with POST …/visits/:visitId/photos (multipart "file": JPEG, PNG, WebP or PDF). */
  photos: z.array(z.object({ id: z.uuid(), fileName: z.string(), contentType: z.string(), sizeBytes: z.number().int(), createdAt: z.string() })),
  recordedBy: z.string().nullable(),
  recordedAt: z.string(),
});

export const inspectionCertificateSchema = z.object({
  id: z.uuid(),
  deviceId: deviceIdSchema,
  communityId: z.uuid(),
  agency: z.string(),
  certificateNo: z.string().nullable(),
  result: z.enum(['pass', 'pass_after_rectification', 'fail']),
  inspectedOn: z.string(),
  expiresOn: z.string(),
  /** Added after the certificate with POST …/certificates/:certificateId/scans (multipart "file": JPEG, PNG, WebP or PDF). */
  scans: z.array(z.object({ id: z.uuid(), fileName: z.string(), contentType: z.string(), sizeBytes: z.number().int(), createdAt: z.string() })),
  recordedAt: z.string(),
});

/** One device's plan with what is due (computed from the visits and the clock). */
export const maintenancePlanSchema = z.object({
  deviceId: deviceIdSchema,
  communityId: z.uuid(),
  deviceName: z.string(),
  regime: maintenanceRegimeSchema,
  company: z.string(),
  companyPhone: z.string(),
  startedAt: z.string(),
  due: z.array(
    z.object({
      kind: maintenanceVisitKindSchema,
      lastAt: z.string().nullable(),
      dueAt: z.string(),
      overdue: z.boolean(),
      items: z.array(z.string()).describe("the plan's item list for this kind of visit (TSG T5002 Annex A, GB 25201), for the visit form"),
    }),
  ),
  certificate: z.object({ status: z.enum(['valid', 'expiring', 'expired', 'missing']), expiresOn: z.string().nullable() }),
});
