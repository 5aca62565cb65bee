/**
 * Rules of the complaint service around the pure ones of domain/complaints.spec.ts: who sees an
 * item, what a deadline timer does, and that a resolved item's pending deadline is cancelled,
 * with every repository mocked (tests/support/new-test-service.ts).
 */
import { ConflictException, NotFoundException } from '@nestjs/common';
import { newTestService } from '../../../../tests/support/new-test-service';
import { AlarmRepository } from '../repositories/alarm.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { ComplaintRepository, type ComplaintRow } from '../repositories/complaint.repository';
import { JobRepository } from '../repositories/job.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { FundService } from './fund.service';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { ComplaintService } from './complaint.service';

const H = 3_600_000;
const NOW = Date.parse('2026-03-05T02:00:00Z');
const user = (id: string, role: AuthUser['role']): AuthUser => ({ id, username: id, role, scope: { level: 'community', communityIds: ['c1'] } });
const filer = user('u-filer', 'owner');

function item(over: Partial<ComplaintRow> = {}): ComplaintRow {
  return {
    id: 'k1',
    community_id: 'c1',
    filed_by: filer.id,
    kind: 'repair',
    category: 'repair',
    text: '漏水',
    location: '1栋',
    contact: '13800000000',
    alarm_id: null,
    state: 'open',
    level: 'property',
    on_ledger: false,
    deadline: new Date(NOW - H),
    filed_at: new Date(NOW - 73 * H),
    responded_at: null,
    resolved_at: null,
    satisfaction: null,
    reopened: 0,
    fund_case_id: null,
    ...over,
  };
}

function setUp(row: ComplaintRow) {
  const t = newTestService(ComplaintService);
  t.mock(ClockRepository).now.mockReturnValue(NOW);
  t.mock(AccessService).requireInScope.mockResolvedValue({ id: 'c1' } as never);
  t.mock(ComplaintRepository).find.mockResolvedValue(row);
  t.mock(ComplaintRepository).lock.mockResolvedValue(row);
  t.mock(ComplaintRepository).transaction.mockImplementation(async (fn) => fn({} as never));
  t.mock(ComplaintRepository).update.mockImplementation(async (_tx, _id, patch) => ({ ...row, ...patch }) as ComplaintRow);
  t.mock(ComplaintRepository).events.mockResolvedValue([]);
  t.mock(ComplaintRepository).photos.mockResolvedValue([]);
  return t;
}

describe('ComplaintService: who sees an item', () => {
  it('an owner sees only their own items, as "not found" otherwise; the owners committee reads them without the contact', async () => {
    const { sut } = setUp(item());
    await expect(sut.get(user('u-other', 'owner'), 'k1')).rejects.toThrow(NotFoundException);
    expect(await sut.get(filer, 'k1')).toMatchObject({ id: 'k1', contact: '13800000000' });
    expect(await sut.get(user('u-oc', 'owners_committee'), 'k1')).toMatchObject({ id: 'k1', contact: null });
    expect(await sut.get(user('u-staff', 'property_staff'), 'k1')).toMatchObject({ contact: '13800000000' });
  });
});

describe('ComplaintService: deadline timers', () => {
  it('an early timer is re-armed for the same deadline and changes nothing', async () => {
    const row = item({ deadline: new Date(NOW + H) });
    const { sut, mock } = setUp(row);
    await sut.onDeadline({ complaintId: 'k1', level: 'property', deadline: NOW + H });
    expect(mock(ComplaintRepository).update).not.toHaveBeenCalled();
    expect(mock(JobRepository).schedule).toHaveBeenCalledWith(expect.anything(), { complaintId: 'k1', level: 'property', deadline: NOW + H }, { jobId: `complaint-k1-property-${NOW + H}-w${NOW}`, dueAt: NOW + H });
  });

  it('a passed deadline takes the item to the residents committee, tells the filer and the committee in scope, and arms the next deadline', async () => {
    const row = item();
    const { sut, mock } = setUp(row);
    mock(CommunityRepository).findById.mockResolvedValue({ id: 'c1', district: 'D', street: 'S' } as never);
    mock(AlarmRepository).usersWithRoles.mockResolvedValue([{ id: 'u-rc' }, { id: 'u-rc-elsewhere' }] as never);
    mock(AccessService).usersReaching.mockResolvedValue(['u-rc']);

    await sut.onDeadline({ complaintId: 'k1', level: 'property', deadline: NOW - H });

    expect(mock(ComplaintRepository).update).toHaveBeenCalledWith(expect.anything(), 'k1', { level: 'residents_committee', deadline: new Date(NOW + 72 * H) });
    expect(mock(ComplaintRepository).addEvent).toHaveBeenCalledWith(expect.objectContaining({ action: 'escalated', level: 'residents_committee', actorRole: 'system' }), expect.anything());
    const told = mock(ComplaintRepository).addInbox.mock.calls.map(([n]) => n.userId);
    expect(told).toEqual([filer.id, 'u-rc']);
    expect(mock(AlarmRepository).usersWithRoles).toHaveBeenCalledWith(['residents_committee']);
    expect(mock(JobRepository).schedule).toHaveBeenCalledWith(expect.anything(), { complaintId: 'k1', level: 'residents_committee', deadline: NOW + 72 * H }, expect.objectContaining({ dueAt: NOW + 72 * H }));
  });

  it('resolving an item cancels its pending deadline', async () => {
    const row = item({ deadline: new Date(NOW + H) });
    const { sut, mock } = setUp(row);
    const done = await sut.act(user('u-staff', 'property_staff'), 'k1', { action: 'resolve', note: '已修好' });
    expect(done).toMatchObject({ state: 'resolved', respondedAt: new Date(NOW).toISOString() });
    expect(mock(JobRepository).schedule).not.toHaveBeenCalled();
    expect(mock(JobRepository).cancelSteps).toHaveBeenCalledWith('complaints', [`complaint-k1-property-${NOW + H}`]);
  });
});

describe('ComplaintService: live events and links', () => {
  it('every step goes out as complaint.changed to the item\'s community, naming its filer', async () => {
    const row = item({ deadline: new Date(NOW + H) });
    const { sut, mock } = setUp(row);
    await sut.act(user('u-staff', 'property_staff'), 'k1', { action: 'respond', note: '马上派人' });
    expect(mock(WebsocketRepository).emitToCommunity).toHaveBeenCalledWith('c1', 'complaint.changed', expect.objectContaining({ complaintId: 'k1', communityId: 'c1', filedBy: filer.id, action: 'respond', state: 'open', overdue: false }));
  });

  it('an overdue item at the district is announced as overdue, once per timer', async () => {
    const row = item({ level: 'district' });
    const { sut, mock } = setUp(row);
    await sut.onDeadline({ complaintId: 'k1', level: 'district', deadline: NOW - H });
    expect(mock(WebsocketRepository).emitToCommunity).toHaveBeenCalledWith('c1', 'complaint.changed', expect.objectContaining({ action: 'overdue', overdue: true }));
    expect(mock(JobRepository).schedule).not.toHaveBeenCalled();
  });

  it('links only an alarm of the item\'s own community: any other is "not found"', async () => {
    const { sut, mock } = setUp(item());
    mock(AlarmRepository).findById.mockResolvedValue({ id: 'a-elsewhere', community_id: 'c2' } as never);
    await expect(sut.linkAlarm(user('u-staff', 'property_staff'), 'k1', 'a-elsewhere')).rejects.toThrow(NotFoundException);
    expect(mock(ComplaintRepository).update).not.toHaveBeenCalled();
    mock(AlarmRepository).findById.mockResolvedValue({ id: 'a1', community_id: 'c1' } as never);
    await sut.linkAlarm(user('u-staff', 'property_staff'), 'k1', 'a1');
    expect(mock(ComplaintRepository).update).toHaveBeenCalledWith(expect.anything(), 'k1', { alarm_id: 'a1' });
    expect(mock(AlarmRepository).addEvent).toHaveBeenCalledWith('a1', expect.any(Date), 'u-staff', 'complaint_linked', { complaintId: 'k1' });
  });

  it('an item already turned into a fund case is not turned again', async () => {
    const { sut, mock } = setUp(item({ fund_case_id: 'f1' }));
    await expect(sut.toFundCase(user('u-staff', 'property_staff'), 'k1', { category: 'roof_wall_leak' })).rejects.toThrow(ConflictException);
    expect(mock(FundService).openFromComplaint).not.toHaveBeenCalled();
  });
});
