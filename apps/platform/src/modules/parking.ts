import type { Provider, Type } from '@nestjs/common';

/** Time-shared parking: slots, share windows, bookings, gates, plates, parking sessions. Listed here, wired by app.module.ts. */
export const parkingControllers: Type[] = [];
export const parkingProviders: Provider[] = [];
