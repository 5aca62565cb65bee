import { z } from 'zod';
import { billStatusSchema } from './billing';
import { bookingStatusSchema } from './parking';

/**
 * Visitors from outside the estate (issue 13 §7): a mainland mobile number proven with a one-time
 * SMS code opens a short session of role `visitor`, which books shared slots of communities that
 * admit visitors and pays its own bills. Nothing of owners or other visitors is in these answers.
 */
export const visitorCodeRequestSchema = z.object({ phone: z.string().min(11).max(20).describe('a mainland mobile number, 1[3-9] and 9 digits (spaces, dashes, +86 allowed)') });
export const visitorCodeSentSchema = z.object({ phone: z.string().describe('the number masked, 138****5678'), expiresInS: z.number().int() });
export const visitorSignInRequestSchema = z.object({ phone: z.string().min(11).max(20), code: z.string().regex(/^\d{6}$/, 'six digits') });
export const visitorSessionSchema = z.object({ accessToken: z.string(), expiresIn: z.number().int().describe('seconds; no refresh token: prove the number again'), phone: z.string() });
export const visitorCommunitySchema = z.object({ id: z.uuid(), name: z.string(), address: z.string().nullable() });
export const visitorSlotSchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  code: z.string(),
  location: z.string(),
  freeIntervals: z.array(z.object({ start: z.number(), end: z.number() })),
});
export const visitorBookingSchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  slotId: z.uuid(),
  plate: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  arrivalGraceMin: z.number().int(),
  departureGraceMin: z.number().int(),
  status: bookingStatusSchema,
  lateCancel: z.boolean(),
});
export const visitorBillSchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  plate: z.string(),
  entryAt: z.string(),
  exitAt: z.string(),
  amountFen: z.number().int(),
  paidFen: z.number().int(),
  refundedFen: z.number().int(),
  status: billStatusSchema,
});
export const visitorAdmissionRequestSchema = z.object({ visitorsAllowed: z.boolean() });
export const visitorAdmissionSchema = z.object({ communityId: z.uuid(), visitorsAllowed: z.boolean() });
