import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  creditAssessmentQuerySchema,
  creditAssessmentRequestSchema,
  creditAssessmentSchema,
  creditGradeSchema,
  creditListsSchema,
  creditRunSchema,
  creditWeightSetRequestSchema,
  creditWeightSetSchema,
  creditYearSchema,
} from '@app/contracts';

export class CreditAssessmentRequestDto extends createZodDto(creditAssessmentRequestSchema) {}
export class CreditAssessmentDto extends createZodDto(creditAssessmentSchema) {}
export class CreditAssessmentQueryDto extends createZodDto(creditAssessmentQuerySchema) {}
export class CreditWeightSetRequestDto extends createZodDto(creditWeightSetRequestSchema) {}
export class CreditWeightSetDto extends createZodDto(creditWeightSetSchema) {}
export class CreditGradeDto extends createZodDto(creditGradeSchema) {}
export class CreditRunDto extends createZodDto(creditRunSchema) {}
export class CreditListsDto extends createZodDto(creditListsSchema) {}
export class CreditYearParamDto extends createZodDto(z.object({ year: creditYearSchema })) {}
export class CreditCompanyParamDto extends createZodDto(z.object({ year: creditYearSchema, id: z.uuid() })) {}
