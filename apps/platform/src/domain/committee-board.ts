import type { CommitteeSection, Role } from '@app/contracts';
import { wallTime, zonedInstant } from './business-time';

export type CommitteeRole = Extract<Role, 'owners_committee' | 'residents_committee'>;

export interface CommitteeSectionRule {
  /** The one committee that publishes the section (nobody else, not the property company). */
  publisherRole: CommitteeRole;
  /** The calendar period each update covers. */
  period: 'month' | 'quarter';
  source: string;
}

/**
 * Who publishes each committee section and how often. Seed 003 (二)1 fixes the minutes as monthly;
 * for the owners' committee's funds and decisions it says only "准时" (timely): quarterly is our choice.
 */
export const committeeSectionRules: Readonly<Record<CommitteeSection, CommitteeSectionRule>> = {
  committee_income_expenses: { publisherRole: 'owners_committee', period: 'quarter', source: 'seed 003 (二)3: 指导催促业主委员会准时向广阔业主公开工作经费' },
  committee_decisions: { publisherRole: 'owners_committee', period: 'quarter', source: 'seed 003 (二)3: 指导催促业主委员会准时向广阔业主公开…业主委员会议定事项等内容' },
  joint_meeting_minutes: { publisherRole: 'residents_committee', period: 'month', source: 'seed 003 (二)1: 社区居民委员会每月要主持召开社区物业治理工作联席会议…要形成会议纪要和通报,准时予以公开' },
};

/** Whether a role may publish a committee section (its own community is the scope check's business). */
export function mayPublishCommitteeSection(role: Role, section: CommitteeSection): boolean {
  return committeeSectionRules[section].publisherRole === role;
}

const MONTHS: Record<CommitteeSectionRule['period'], number> = { month: 1, quarter: 3 };

/**
 * When a section published at `publishedAt` must next be updated: by the end of the calendar period
 * after the one it was published in (local time), so June's minutes may follow in July but a
 * section last updated in June is stale from 1 August. Never published: due already.
 */
export function committeeSectionDue(section: CommitteeSection, publishedAt: number | null, timeZone: string): number | null {
  if (publishedAt === null) return null;
  const months = MONTHS[committeeSectionRules[section].period];
  const w = wallTime(publishedAt, timeZone);
  const periodStart = Math.floor((w.month - 1) / months) * months; // 0-based month the period starts in
  const dueMonth = periodStart + 2 * months; // start of the period after next
  return zonedInstant({ year: w.year + Math.floor(dueMonth / 12), month: (dueMonth % 12) + 1, day: 1, hour: 0, minute: 0 }, timeZone);
}

/** Whether a section is overdue at `now` (never published counts as overdue: the seed asks for it). */
export function isCommitteeSectionStale(section: CommitteeSection, publishedAt: number | null, now: number, timeZone: string): boolean {
  const due = committeeSectionDue(section, publishedAt, timeZone);
  return due === null || now >= due;
}
