import { createZodDto } from 'nestjs-zod';
import { assignCommunitiesSchema, createPropertyCompanySchema, statisticsQuerySchema } from '@app/contracts';

export class StatisticsQueryDto extends createZodDto(statisticsQuerySchema) {}
export class CreatePropertyCompanyDto extends createZodDto(createPropertyCompanySchema) {}
export class AssignCommunitiesDto extends createZodDto(assignCommunitiesSchema) {}
