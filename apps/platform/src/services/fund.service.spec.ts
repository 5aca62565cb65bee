/**
 * Rules of the maintenance-fund service outside the case state machine (which domain/fund-case.spec.ts
 * covers): evidence uploads and the holiday calendar, with every repository mocked
 * (tests/support/new-test-service.ts).
 */
import { BadRequestException, ConflictException, HttpException } from '@nestjs/common';
import { newTestService } from '../../../../tests/support/new-test-service';
import { PLATFORM_CONFIG } from '../config/config.provider';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { FundFileRepository, FundRepository, type FundCaseRow } from '../repositories/fund.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { FundService } from './fund.service';

const NOW = Date.parse('2026-05-04T02:00:00Z');
const staff: AuthUser = { id: 'u-staff', username: 'staff', role: 'property_staff', scope: { level: 'community', communityIds: ['c1'] } };
const admin: AuthUser = { id: 'u-admin', username: 'admin', role: 'platform_admin', scope: { level: 'platform' } };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

function setUp(state = 'reported') {
  const t = newTestService(FundService, new Map([[PLATFORM_CONFIG, {}]]));
  t.mock(ClockRepository).now.mockReturnValue(NOW);
  t.mock(AccessService).requireInScope.mockResolvedValue({ id: 'c1' } as never);
  t.mock(FundRepository).findCase.mockResolvedValue({ id: 'f1', community_id: 'c1', state } as FundCaseRow);
  t.mock(FundFileRepository).store.mockResolvedValue({ sha256: 'ab'.repeat(32), size: PNG.length } as never);
  t.mock(FundRepository).addEvidence.mockImplementation(async (row) => ({ ...row, id: 'e1' }) as never);
  return t;
}

const upload = (mimetype: string, buffer: Buffer) => ({ originalname: 'photo.png', mimetype, size: buffer.length, buffer });

describe('FundService: evidence uploads', () => {
  it('stores a photo whose bytes are what its type says, with an event and an audit entry', async () => {
    const { sut, mock } = setUp();

    const evidence = await sut.addUpload(staff, 'f1', upload('image/png', PNG));

    expect(evidence).toMatchObject({ id: 'e1', contentType: 'image/png', sizeBytes: PNG.length, sha256: 'ab'.repeat(32) });
    expect(mock(FundRepository).addEvent).toHaveBeenCalledWith(expect.objectContaining({ caseId: 'f1', action: 'evidence_added', fromState: 'reported', toState: 'reported' }));
    expect(mock(AuditRepository).record).toHaveBeenCalledWith(expect.objectContaining({ action: 'fund.case.evidence_added', subjectId: 'f1' }));
  });

  it('a renamed file (PDF bytes sent as a PNG) is refused with 415 and not stored', async () => {
    const { sut, mock } = setUp();

    const refused = sut.addUpload(staff, 'f1', upload('image/png', Buffer.from('%PDF-1.7 …')));

    await expect(refused).rejects.toThrow(HttpException);
    await expect(refused).rejects.toMatchObject({ status: 415 });
    expect(mock(FundFileRepository).store).not.toHaveBeenCalled();
  });

  it('a request without a file is a bad request', async () => {
    const { sut } = setUp();

    await expect(sut.addUpload(staff, 'f1', undefined)).rejects.toThrow(BadRequestException);
  });

  it.each(['rejected', 'disclosed', 'withdrawn'])('a %s case takes no more evidence', async (state) => {
    const { sut, mock } = setUp(state);

    await expect(sut.addUpload(staff, 'f1', upload('image/png', PNG))).rejects.toThrow(ConflictException);
    expect(mock(FundFileRepository).store).not.toHaveBeenCalled();
  });
});

describe('FundService: holiday calendar (deadlines count working days)', () => {
  it('stores the year sorted and without repeats', async () => {
    const { sut, mock } = setUp();

    const calendar = await sut.setCalendar(admin, 2026, { holidays: ['2026-10-02', '2026-10-01', '2026-10-01'], workdays: ['2026-09-28'] });

    expect(calendar).toEqual({ year: 2026, holidays: ['2026-10-01', '2026-10-02'], workdays: ['2026-09-28'] });
    expect(mock(FundRepository).replaceCalendarYear).toHaveBeenCalledWith(2026, [
      { day: '2026-10-01', kind: 'holiday' },
      { day: '2026-10-02', kind: 'holiday' },
      { day: '2026-09-28', kind: 'workday' },
    ]);
  });

  it('a date of another year, or one that does not exist, is refused and nothing is replaced', async () => {
    const { sut, mock } = setUp();

    await expect(sut.setCalendar(admin, 2026, { holidays: ['2027-01-01'], workdays: [] })).rejects.toThrow(/not in 2026/);
    await expect(sut.setCalendar(admin, 2026, { holidays: ['2026-02-30'], workdays: [] })).rejects.toThrow(/not valid/);
    expect(mock(FundRepository).replaceCalendarYear).not.toHaveBeenCalled();
  });

  it('a day cannot be both a holiday and a working day', async () => {
    const { sut, mock } = setUp();

    await expect(sut.setCalendar(admin, 2026, { holidays: ['2026-10-01'], workdays: ['2026-10-01'] })).rejects.toThrow(/both a holiday and a working day/);
    expect(mock(FundRepository).replaceCalendarYear).not.toHaveBeenCalled();
  });
});

describe('FundService: an emergency repair from a complaint', () => {
  it('opens a draft case of the complaint\'s community by the one opening path: the complaint and its photos as evidence, the link in the same transaction, audited and announced', async () => {
    const { sut, mock } = setUp();
    const tx = { tx: true };
    mock(FundRepository).transaction.mockImplementation(async (fn) => fn(tx as never));
    mock(FundRepository).insertCase.mockImplementation(async (row) => ({ ...row, id: 'f9', state: 'draft' }) as never);
    const link = jest.fn(async () => undefined);

    const row = await sut.openFromComplaint(
      staff,
      { id: 'k1', communityId: 'c1', text: '屋面漏水', location: '1栋 顶层', category: 'repair', photos: [{ sha256: 'cd'.repeat(32), contentType: 'image/png', sizeBytes: 12 }] },
      { category: 'roof_wall_leak' },
      link,
    );

    expect(row.id).toBe('f9');
    expect(mock(FundRepository).insertCase).toHaveBeenCalledWith(expect.objectContaining({ community_id: 'c1', source: 'complaint', complaint_id: 'k1', category: 'roof_wall_leak', title: '1栋 顶层: 屋面漏水', created_by: staff.id }), tx);
    expect(mock(FundRepository).addEvidence.mock.calls.map(([e, db]) => [e.kind, e.sha256 ?? null, db])).toEqual([
      ['complaint', null, tx],
      ['upload', 'cd'.repeat(32), tx],
    ]);
    expect(link).toHaveBeenCalledWith(tx, 'f9');
    expect(mock(AuditRepository).record).toHaveBeenCalledWith({ actorId: staff.id, action: 'fund.case.opened', subjectType: 'fund_case', subjectId: 'f9', detail: { complaintId: 'k1', category: 'roof_wall_leak' } });
    expect(mock(WebsocketRepository).emitToCommunity).toHaveBeenCalledWith('c1', 'fund.case.updated', expect.objectContaining({ caseId: 'f9', action: 'opened' }));
  });

  it('refuses a building of another community before opening anything', async () => {
    const { sut, mock } = setUp();
    mock(FundRepository).buildingIdsOf.mockResolvedValue(['b-own']);
    const open = sut.openFromComplaint(staff, { id: 'k1', communityId: 'c1', text: 'x', location: 'y', category: 'repair', photos: [] }, { category: 'drainage', buildingId: '00000000-0000-4000-8000-000000000000' }, jest.fn());
    await expect(open).rejects.toThrow(BadRequestException);
    expect(mock(FundRepository).insertCase).not.toHaveBeenCalled();
  });
});
