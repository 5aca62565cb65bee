import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export class SupervisionCommunityParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
