import type { Provider, Type } from '@nestjs/common';

/** Emergency maintenance-fund green channel: repair cases, deadlines, cost sharing, disclosure. Listed here, wired by app.module.ts. */
export const fundControllers: Type[] = [];
export const fundProviders: Provider[] = [];
