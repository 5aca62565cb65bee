import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { unitClaimDecisionRequestSchema, unitClaimFieldsSchema, unitClaimQuerySchema, unitClaimSchema, unitImportResultSchema, unitRepresentativeRequestSchema } from '@app/contracts';

export class UnitIdParamDto extends createZodDto(z.object({ unitId: z.uuid() })) {}
export class UnitUserParamDto extends createZodDto(z.object({ unitId: z.uuid(), userId: z.uuid() })) {}
export class CommunityIdParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class UnitClaimFieldsDto extends createZodDto(unitClaimFieldsSchema) {}
export class UnitClaimDecisionDto extends createZodDto(unitClaimDecisionRequestSchema) {}
export class UnitClaimQueryDto extends createZodDto(unitClaimQuerySchema) {}
export class UnitRepresentativeDto extends createZodDto(unitRepresentativeRequestSchema) {}
export class UnitClaimDto extends createZodDto(unitClaimSchema) {}
export class UnitImportResultDto extends createZodDto(unitImportResultSchema) {}
