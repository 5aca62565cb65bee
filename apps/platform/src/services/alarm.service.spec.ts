/**
 * The alarm lifecycle's rules (acknowledge, clear, arrival), with every repository mocked
 * (tests/support/new-test-service.ts): what a user may do to an alarm and what each step records.
 */
import { BadRequestException, ConflictException, ForbiddenException } from '@nestjs/common';
import { newTestService } from '../../../../tests/support/new-test-service';
import { AlarmRepository, type AlarmRow } from '../repositories/alarm.repository';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { UserRepository } from '../repositories/user.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { AccessService } from './access.service';
import { AlarmDispatchService } from './alarm-dispatch.service';
import { AlarmService } from './alarm.service';
import type { AuthUser } from './auth-user';

const staff: AuthUser = { id: 'u-staff', username: 'staff', role: 'property_staff', scope: { level: 'community', communityIds: ['c1'] } };
const RAISED = new Date('2026-05-01T08:00:00Z');
const NOW = new Date('2026-05-01T08:03:20Z');

function alarmRow(overrides: Partial<AlarmRow> = {}): AlarmRow {
  return {
    id: 'a1',
    community_id: 'c1',
    device_id: 'elev-1',
    type: 'trapped_at_level',
    severity: 1,
    source: 'platform',
    state: 'active',
    acknowledged: false,
    acknowledged_at: null,
    acknowledged_by: null,
    assignee_id: null,
    count: 1,
    first_at: RAISED,
    last_at: RAISED,
    cleared_at: null,
    cleared_by: null,
    arrived_at: null,
    arrived_by: null,
    escalation_tier: 0,
    detail: {},
    created_at: RAISED,
    ...overrides,
  };
}

function setUp(stored: AlarmRow) {
  const t = newTestService(AlarmService);
  t.mock(AlarmRepository).findById.mockResolvedValue(stored);
  t.mock(AccessService).requireInScope.mockResolvedValue({ id: 'c1' } as never);
  t.mock(ClockRepository).now.mockReturnValue(NOW.getTime());
  return t;
}

describe('AlarmService: acknowledging', () => {
  it('records who acknowledged and the response time, and stops the escalation', async () => {
    const { sut, mock } = setUp(alarmRow());
    const acknowledged = alarmRow({ acknowledged: true, acknowledged_at: NOW, acknowledged_by: staff.id });
    mock(AlarmRepository).update.mockResolvedValue(acknowledged);

    const view = await sut.acknowledge(staff, 'a1', 'on my way');

    // only an alarm not yet acknowledged is updated (the condition makes a race lose cleanly)
    expect(mock(AlarmRepository).update).toHaveBeenCalledWith('a1', { acknowledged: true, acknowledged_at: NOW, acknowledged_by: staff.id }, { acknowledged: false });
    expect(mock(AlarmRepository).addEvent).toHaveBeenCalledWith('a1', NOW, staff.id, 'acknowledged', { responseMs: 200_000, tier: 0, comment: 'on my way' });
    expect(mock(AlarmDispatchService).stop).toHaveBeenCalledWith(acknowledged, 'acknowledged');
    expect(mock(WebsocketRepository).emitToCommunity).toHaveBeenCalledWith('c1', 'alarm.updated', expect.objectContaining({ alarmId: 'a1', acknowledged: true }));
    expect(view.responseS).toBe(200);
  });

  it('an alarm acknowledged already is a conflict, and nothing else is recorded', async () => {
    const { sut, mock } = setUp(alarmRow({ acknowledged: true }));
    mock(AlarmRepository).update.mockResolvedValue(undefined);

    await expect(sut.acknowledge(staff, 'a1')).rejects.toThrow(ConflictException);
    expect(mock(AlarmRepository).addEvent).not.toHaveBeenCalled();
    expect(mock(AuditRepository).record).not.toHaveBeenCalled();
    expect(mock(AlarmDispatchService).stop).not.toHaveBeenCalled();
  });

  it('an alarm outside the user scope is refused before anything changes', async () => {
    const { sut, mock } = setUp(alarmRow({ community_id: 'c2' }));
    mock(AccessService).requireInScope.mockRejectedValue(new ForbiddenException());

    await expect(sut.acknowledge(staff, 'a1')).rejects.toThrow(ForbiddenException);
    expect(mock(AccessService).requireInScope).toHaveBeenCalledWith(staff, 'c2', 'alarm a1');
    expect(mock(AlarmRepository).update).not.toHaveBeenCalled();
  });
});

describe('AlarmService: clearing by hand', () => {
  it('an alarm the platform inferred is cleared, audited and its escalation stopped', async () => {
    const { sut, mock } = setUp(alarmRow({ type: 'trapped_at_level' }));
    const cleared = alarmRow({ state: 'cleared', cleared_at: NOW, cleared_by: staff.id });
    mock(AlarmRepository).update.mockResolvedValue(cleared);

    const view = await sut.clear(staff, 'a1', 'passengers out');

    expect(mock(AlarmRepository).update).toHaveBeenCalledWith('a1', { state: 'cleared', cleared_at: NOW, cleared_by: staff.id }, { state: 'active' });
    expect(mock(AuditRepository).record).toHaveBeenCalledWith(expect.objectContaining({ actorId: staff.id, action: 'alarm.cleared', detail: { reason: 'passengers out' } }));
    expect(mock(AlarmDispatchService).stop).toHaveBeenCalledWith(cleared, 'cleared');
    expect(view).toMatchObject({ state: 'cleared', clearedBy: staff.id, manualClear: true });
  });

  it('an alarm only the device reports (an emergency call) cannot be cleared by hand', async () => {
    const { sut, mock } = setUp(alarmRow({ type: 'emergency_call', source: 'device' }));

    await expect(sut.clear(staff, 'a1')).rejects.toThrow(/clears when the device reports it/);
    expect(mock(AlarmRepository).update).not.toHaveBeenCalled();
  });

  it('an alarm cleared already is a conflict', async () => {
    const { sut, mock } = setUp(alarmRow({ state: 'cleared', cleared_at: RAISED }));

    await expect(sut.clear(staff, 'a1')).rejects.toThrow(/already cleared/);
    expect(mock(AlarmRepository).update).not.toHaveBeenCalled();
  });

  it('a clear that loses the race to another clear is a conflict, not a second clear', async () => {
    const { sut, mock } = setUp(alarmRow());
    mock(AlarmRepository).update.mockResolvedValue(undefined);

    await expect(sut.clear(staff, 'a1')).rejects.toThrow(ConflictException);
    expect(mock(AuditRepository).record).not.toHaveBeenCalled();
  });
});

describe('AlarmService: arrival on site', () => {
  it('clears the arrival deadline raised for this alarm', async () => {
    const { sut, mock } = setUp(alarmRow());
    mock(AlarmRepository).update.mockResolvedValue(alarmRow({ arrived_at: NOW, arrived_by: staff.id }));
    mock(AlarmRepository).findOpen.mockResolvedValue(alarmRow({ id: 'a-overdue', type: 'arrival_overdue', detail: { alarmId: 'a1' } }));
    mock(AlarmRepository).clearOpen.mockResolvedValue(alarmRow({ id: 'a-overdue', type: 'arrival_overdue', state: 'cleared', cleared_at: NOW }));

    const view = await sut.arrived(staff, 'a1');

    expect(view.arrivalS).toBe(200);
    expect(mock(AlarmRepository).clearOpen).toHaveBeenCalledWith('elev-1', 'arrival_overdue', NOW, staff.id, undefined);
  });

  it("leaves another alarm's arrival deadline open", async () => {
    const { sut, mock } = setUp(alarmRow());
    mock(AlarmRepository).update.mockResolvedValue(alarmRow({ arrived_at: NOW, arrived_by: staff.id }));
    mock(AlarmRepository).findOpen.mockResolvedValue(alarmRow({ id: 'a-overdue', type: 'arrival_overdue', detail: { alarmId: 'another' } }));

    await sut.arrived(staff, 'a1');

    expect(mock(AlarmRepository).clearOpen).not.toHaveBeenCalled();
  });

  it('a second arrival report is a conflict', async () => {
    const { sut, mock } = setUp(alarmRow({ arrived_at: RAISED }));
    mock(AlarmRepository).update.mockResolvedValue(undefined);

    await expect(sut.arrived(staff, 'a1')).rejects.toThrow(/already recorded/);
  });
});

describe('AlarmService: the duty desk', () => {
  it('a clear records its cause; a cause that does not fit the type is refused before anything changes', async () => {
    const { sut, mock } = setUp(alarmRow());
    mock(AlarmRepository).update.mockResolvedValue(alarmRow({ state: 'cleared', cleared_at: NOW, cleared_by: staff.id }));
    await expect(sut.clear(staff, 'a1', undefined, 'repaired')).rejects.toThrow(BadRequestException);
    expect(mock(AlarmRepository).update).not.toHaveBeenCalled();

    const view = await sut.clear(staff, 'a1', undefined, 'door_system');
    expect(mock(AlarmRepository).addEvent).toHaveBeenCalledWith('a1', NOW, staff.id, 'cleared', { reason: 'cleared by hand', cause: 'door_system' });
    expect(view).toMatchObject({ state: 'cleared', handOff: ['96333', '119'] });
    expect(view.clearCauses).toContain('door_system');
  });

  it('people: who was told (first time each), and colleagues of my role who may handle the community', async () => {
    const { sut, mock } = setUp(alarmRow());
    mock(AlarmRepository).events.mockResolvedValue([
      { at: RAISED, actor_id: null, action: 'notified', detail: { tier: 0, tierName: 'duty_room', kind: 'notify', userIds: ['u-staff'] } },
      { at: NOW, actor_id: null, action: 'notified', detail: { tier: 1, tierName: 'maintenance', kind: 'reminder', userIds: ['u-staff', 'u-maint'] } },
    ] as never);
    mock(AlarmRepository).usersWithRoles.mockResolvedValue([{ id: 'u-staff' }, { id: 'u-other' }] as never);
    mock(AccessService).usersReaching.mockResolvedValue(['u-staff']);
    mock(UserRepository).findByIds.mockResolvedValue([
      { id: 'u-staff', username: 'staff', display_name: '小王', role: 'property_staff' },
      { id: 'u-maint', username: 'maint', display_name: null, role: 'maintenance_staff' },
    ] as never);

    const people = await sut.people(staff, 'a1');
    expect(mock(AlarmRepository).usersWithRoles).toHaveBeenCalledWith(['property_staff']);
    expect(people.told).toEqual([
      { userId: 'u-staff', displayName: '小王', tier: 0, tierName: 'duty_room', kind: 'notify', at: RAISED.toISOString() },
      { userId: 'u-maint', displayName: 'maint', tier: 1, tierName: 'maintenance', kind: 'reminder', at: NOW.toISOString() },
    ]);
    expect(people.assignable).toEqual([{ userId: 'u-staff', displayName: '小王', role: 'property_staff' }]);
  });
});
