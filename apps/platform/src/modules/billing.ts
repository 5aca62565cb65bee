import type { Provider, Type } from '@nestjs/common';

/** Parking tariffs, billing, payments, the double-entry ledger and revenue split. Listed here, wired by app.module.ts. */
export const billingControllers: Type[] = [];
export const billingProviders: Provider[] = [];
