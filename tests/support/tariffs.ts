import type { TestPlatform } from './platform';

/** 1 yuan per started 30 minutes around the clock, no free minutes: every short stay owes 100 fen. */
export const HALF_HOUR_YUAN_RULES = {
  freeMinutes: 0,
  pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] },
};

/**
 * Files HALF_HOUR_YUAN_RULES for a community as the owners' assembly set it, in force from `sinceMs`
 * ago, as `token` (the admin when absent).
 */
export async function fileHalfHourYuanTariff(tp: TestPlatform, communityId: string, filingNumber: string, { sinceMs = 60_000, token }: { sinceMs?: number; token?: string } = {}): Promise<void> {
  const tariff = await tp.api('POST', `billing/communities/${communityId}/tariffs`, { setBy: 'owners_assembly', filingNumber, effectiveFrom: new Date(Date.now() - sinceMs).toISOString(), rules: HALF_HOUR_YUAN_RULES }, token);
  expect(tariff.status).toBe(201);
}
