import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  commonIncomeRequestSchema,
  commonIncomeResultSchema,
  fundCommunityQuerySchema,
  fundCommunityStatementSchema,
  fundDepositRequestSchema,
  fundInterestRequestSchema,
  fundOpeningQuerySchema,
  fundOpeningResultSchema,
  fundPostingResultSchema,
  fundTransferRequestSchema,
  fundUnitAccountDetailSchema,
  fundUnitAccountSchema,
  fundUnitStatementSchema,
  fundYearQuerySchema,
} from '@app/contracts';

export class FundCommunityParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class FundUnitParamDto extends createZodDto(z.object({ unitId: z.uuid() })) {}
export class FundCommunityQueryDto extends createZodDto(fundCommunityQuerySchema) {}
export class FundYearQueryDto extends createZodDto(fundYearQuerySchema) {}
export class FundOpeningQueryDto extends createZodDto(fundOpeningQuerySchema) {}
export class FundOpeningResultDto extends createZodDto(fundOpeningResultSchema) {}
export class FundDepositDto extends createZodDto(fundDepositRequestSchema) {}
export class FundInterestDto extends createZodDto(fundInterestRequestSchema) {}
export class FundTransferDto extends createZodDto(fundTransferRequestSchema) {}
export class FundPostingResultDto extends createZodDto(fundPostingResultSchema) {}
export class FundUnitAccountDto extends createZodDto(fundUnitAccountSchema) {}
export class FundUnitAccountDetailDto extends createZodDto(fundUnitAccountDetailSchema) {}
export class FundUnitStatementDto extends createZodDto(fundUnitStatementSchema) {}
export class FundCommunityStatementDto extends createZodDto(fundCommunityStatementSchema) {}
export class CommonIncomeDto extends createZodDto(commonIncomeRequestSchema) {}
export class CommonIncomeResultDto extends createZodDto(commonIncomeResultSchema) {}
