import { z } from 'zod';

/**
 * The committees' sections of the public disclosure board (公示栏, issue 13 §6): what the owners'
 * committee (业主委员会) and the residents' committee (居民委员会) publish themselves. Seed 003
 * (二)1: the residents' committee holds the monthly joint meeting (社区物业治理工作联席会议) and
 * publishes its minutes; (二)3: the owners' committee publishes its working funds (工作经费) and
 * the matters it decided (议定事项). Who publishes which section and how often it must be
 * updated: apps/platform/src/domain/committee-board.ts.
 */
export const committeeSections = ['committee_income_expenses', 'committee_decisions', 'joint_meeting_minutes'] as const;
export const committeeSectionSchema = z.enum(committeeSections);
export type CommitteeSection = z.infer<typeof committeeSectionSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => z.string().trim().max(max).optional();
const isoDate = z.iso.date();
const fen = z.number().int().min(0).max(1_000_000_000_000);

/** 业委会收支: the committee's working funds over a period. */
export const committeeIncomeExpensesSchema = z
  .object({
    period: text(60),
    periodFrom: isoDate,
    periodTo: isoDate,
    income: z.array(z.object({ source: text(100), amountFen: fen })).max(100),
    expenses: z.array(z.object({ purpose: text(200), amountFen: fen, approvedBy: optionalText(200) })).max(100),
    note: optionalText(500),
  })
  .refine((v) => v.periodTo >= v.periodFrom, { message: 'periodTo must not be before periodFrom', path: ['periodTo'] });

/** 决定: matters the owners' committee decided (议定事项). */
export const committeeDecisionsSchema = z.object({
  items: z.array(z.object({ title: text(100), decidedOn: isoDate, body: text(2000), meetingRef: optionalText(200) })).min(1).max(30),
});

/** 联席会议纪要: the monthly joint meeting's minutes. */
export const jointMeetingMinutesSchema = z.object({
  meetingDate: isoDate,
  /** Who took part (居委会、业委会、物业服务企业、…). */
  attendees: z.array(text(100)).min(1).max(40),
  topics: z.array(z.object({ topic: text(200), outcome: text(2000) })).min(1).max(40),
  note: optionalText(500),
});

/** POST board/communities/:id/committee-items: one committee section and its content. */
export const publishCommitteeItemRequestSchema = z.discriminatedUnion('section', [
  z.object({ section: z.literal('committee_income_expenses'), content: committeeIncomeExpensesSchema }),
  z.object({ section: z.literal('committee_decisions'), content: committeeDecisionsSchema }),
  z.object({ section: z.literal('joint_meeting_minutes'), content: jointMeetingMinutesSchema }),
]);
export type PublishCommitteeItemRequest = z.infer<typeof publishCommitteeItemRequestSchema>;

/** A committee section on the board: its latest version (null when never published) and whether it is overdue. */
export const committeeSectionStatusSchema = z.object({
  section: committeeSectionSchema,
  publisherRole: z.enum(['owners_committee', 'residents_committee']),
  period: z.enum(['month', 'quarter']),
  source: z.string().describe('the seed that asks for the section'),
  lastUpdated: z.string().nullable(),
  /** When the next update is due (null when never published: due now). */
  dueBy: z.string().nullable(),
  stale: z.boolean(),
  version: z.number().int().nullable(),
  content: z.unknown().nullable(),
});
export type CommitteeSectionStatus = z.infer<typeof committeeSectionStatusSchema>;

/** GET board/committee-staleness: the communities in scope, their committee sections and which are stale. */
export const committeeStalenessSchema = z.array(
  z.object({ communityId: z.uuid(), communityName: z.string(), stale: z.array(committeeSectionSchema), sections: z.array(committeeSectionStatusSchema.omit({ content: true })) }),
);
