import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { supervisionRowSchema } from '@app/contracts';

export class SupervisionCommunityParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class SupervisionRowDto extends createZodDto(supervisionRowSchema) {}
