import { createZodDto } from 'nestjs-zod';
import {
  assignCommunitiesSchema,
  communityStatisticsSchema,
  companyScorecardsSchema,
  createPropertyCompanySchema,
  propertyCompanyAssignmentSchema,
  propertyCompanySchema,
  statisticsQuerySchema,
} from '@app/contracts';

export class StatisticsQueryDto extends createZodDto(statisticsQuerySchema) {}
export class CreatePropertyCompanyDto extends createZodDto(createPropertyCompanySchema) {}
export class AssignCommunitiesDto extends createZodDto(assignCommunitiesSchema) {}
export class PropertyCompanyDto extends createZodDto(propertyCompanySchema) {}
export class PropertyCompanyAssignmentDto extends createZodDto(propertyCompanyAssignmentSchema) {}
export class CommunityStatisticsDto extends createZodDto(communityStatisticsSchema) {}
export class CompanyScorecardsDto extends createZodDto(companyScorecardsSchema) {}
