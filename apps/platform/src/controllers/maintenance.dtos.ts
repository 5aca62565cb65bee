import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { deviceIdSchema, inspectionCertificateRequestSchema, inspectionCertificateSchema, maintenancePlanRequestSchema, maintenancePlanSchema, maintenanceVisitRequestSchema, maintenanceVisitSchema } from '@app/contracts';

export class MaintenanceDeviceParamDto extends createZodDto(z.object({ id: deviceIdSchema })) {}
export class VisitParamDto extends createZodDto(z.object({ id: deviceIdSchema, visitId: z.uuid() })) {}
export class CertificateParamDto extends createZodDto(z.object({ id: deviceIdSchema, certificateId: z.uuid() })) {}
export class CertificateScanParamDto extends createZodDto(z.object({ id: deviceIdSchema, certificateId: z.uuid(), scanId: z.uuid() })) {}
export class VisitPhotoParamDto extends createZodDto(z.object({ id: deviceIdSchema, visitId: z.uuid(), photoId: z.uuid() })) {}
export class MaintenanceCommunityQueryDto extends createZodDto(z.object({ communityId: z.uuid() })) {}
export class MaintenancePlanRequestDto extends createZodDto(maintenancePlanRequestSchema) {}
export class MaintenanceVisitRequestDto extends createZodDto(maintenanceVisitRequestSchema) {}
export class InspectionCertificateRequestDto extends createZodDto(inspectionCertificateRequestSchema) {}
export class MaintenancePlanDto extends createZodDto(maintenancePlanSchema) {}
export class MaintenanceVisitDto extends createZodDto(maintenanceVisitSchema) {}
export class InspectionCertificateDto extends createZodDto(inspectionCertificateSchema) {}
