import { committeeSectionDue, isCommitteeSectionStale, mayPublishCommitteeSection } from './committee-board';

const TZ = 'Asia/Shanghai';
const at = (local: string) => Date.parse(`${local}+08:00`);

describe('committee sections of the board (seed 003 (二)1, (二)3)', () => {
  it('lets only the committee that owns a section publish it', () => {
    expect(mayPublishCommitteeSection('residents_committee', 'joint_meeting_minutes')).toBe(true);
    expect(mayPublishCommitteeSection('owners_committee', 'joint_meeting_minutes')).toBe(false);
    expect(mayPublishCommitteeSection('owners_committee', 'committee_income_expenses')).toBe(true);
    expect(mayPublishCommitteeSection('owners_committee', 'committee_decisions')).toBe(true);
    expect(mayPublishCommitteeSection('property_staff', 'committee_decisions')).toBe(false);
    expect(mayPublishCommitteeSection('platform_admin', 'committee_income_expenses')).toBe(false);
  });

  it("minutes are monthly: June's publication is due by the end of July, stale from 1 August (local time)", () => {
    const june = at('2026-06-15T10:00:00');
    expect(committeeSectionDue('joint_meeting_minutes', june, TZ)).toBe(at('2026-08-01T00:00:00'));
    expect(isCommitteeSectionStale('joint_meeting_minutes', june, at('2026-07-31T23:59:00'), TZ)).toBe(false);
    expect(isCommitteeSectionStale('joint_meeting_minutes', june, at('2026-08-01T00:00:00'), TZ)).toBe(true);
  });

  it('uses the local calendar: 1 June 00:30 in Shanghai is still May in UTC but counts as June', () => {
    expect(committeeSectionDue('joint_meeting_minutes', at('2026-06-01T00:30:00'), TZ)).toBe(at('2026-08-01T00:00:00'));
  });

  it('funds and decisions are quarterly, across the year end', () => {
    expect(committeeSectionDue('committee_income_expenses', at('2026-05-10T09:00:00'), TZ)).toBe(at('2026-10-01T00:00:00'));
    expect(committeeSectionDue('committee_decisions', at('2026-11-20T09:00:00'), TZ)).toBe(at('2027-04-01T00:00:00'));
    expect(committeeSectionDue('joint_meeting_minutes', at('2026-12-03T09:00:00'), TZ)).toBe(at('2027-02-01T00:00:00'));
  });

  it('a section never published is stale', () => {
    expect(committeeSectionDue('committee_decisions', null, TZ)).toBeNull();
    expect(isCommitteeSectionStale('committee_decisions', null, at('2026-01-01T00:00:00'), TZ)).toBe(true);
  });
});
