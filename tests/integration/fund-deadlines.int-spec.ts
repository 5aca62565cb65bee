/**
 * Fund green channel on embedded PGlite: a manual report (roof leak) in a community with neither
 * a property company nor an owners' committee, proposed by the residents' committee; the
 * national profile escalates (no deemed approval) when the review deadline passes on a fake
 * clock; a non-qualifying alarm opens nothing.
 */
import { Queue } from 'bullmq';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { FundService } from '../../apps/platform/src/services/fund.service';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { testServices } from '../support/test-services';
import { waitFor } from '../support/wait';

const sh = (iso: string) => Date.parse(`${iso}+08:00`);

describe('fund deadlines and manual reports (PGlite)', () => {
  let tp: TestPlatform;
  let now = sh('2025-06-09T10:00:00'); // Monday
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    tp = await startTestPlatform();
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
  }, 60_000);
  afterAll(() => tp?.close());

  it('residents committee proposes where there is no property company; national review escalates when late', async () => {
    const community = await tp.api('POST', 'communities', {
      name: '老旧小区',
      district: 'Xuhui',
      street: 'Tianping',
      buildings: [{ name: '1号楼', units: [{ number: '101', floorArea: '50.00' }, { number: '102', floorArea: '70.00' }] }],
    });
    const communityId: string = community.body.id;
    expect((await tp.api('PUT', `fund/communities/${communityId}/settings`, { profile: 'national', hasPropertyCompany: false, hasOwnersCommittee: false })).status).toBe(200);
    for (const [name, role] of [['rc', 'residents_committee'], ['street', 'street_officer'], ['auth', 'district_authority'], ['owner', 'owner']] as const) {
      const scope = role === 'district_authority' ? { level: 'district', district: 'Xuhui' } : { level: 'community', communityIds: [communityId] };
      expect((await tp.api('POST', 'users', { username: `int-${name}`, password: 'user-pass-123', role, scope })).status).toBe(201);
      tokens[name] = await tp.login(`int-${name}`, 'user-pass-123');
    }

    // A non-qualifying alarm opens nothing.
    expect(await tp.platform.app.get(FundService).openFromAlarm({ alarmId: 'x1', deviceId: 'nodevice', communityId, type: 'fire', severity: 1, state: 'raised', ts: now })).toBeNull();

    // An owner reports a roof leak by hand.
    expect((await tp.api('POST', 'fund/cases', { communityId, category: 'roof_wall_leak', title: '' }, tokens.owner)).status).toBe(400);
    const created = await tp.api('POST', 'fund/cases', { communityId, category: 'roof_wall_leak', title: '1号楼顶层漏水', description: '雨后渗漏' }, tokens.owner);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'draft', source: 'manual', profile: 'national' });
    const id: string = created.body.id;
    expect((await tp.api('GET', `fund/cases?communityId=${communityId}`)).body).toHaveLength(1);

    const act = (who: string, body: Record<string, unknown>) => tp.api('POST', `fund/cases/${id}/transitions`, body, tokens[who]);
    const plan = { action: 'propose', repairPlan: '屋面防水', contractor: '防水公司', budgetFen: '200000', chargeScope: { level: 'estate' } };
    expect((await act('owner', plan)).status).toBe(403);
    expect((await act('rc', { ...plan, chargeScope: { level: 'units', unitIds: ['00000000-0000-4000-8000-000000000000'] } })).status).toBe(400);
    expect((await act('rc', { action: 'nonsense' })).status).toBe(400);
    const proposed = await act('rc', plan);
    expect(proposed.status).toBe(200);
    // Before acceptance the shares preview the budget: 50 : 70 of 2000.00 yuan.
    expect(proposed.body.shares.map((s: { shareFen: number }) => s.shareFen)).toEqual([83_333, 116_667]);
    expect((await act('rc', { action: 'publish_notice' })).body.noticeEndsAt).toBe(new Date(sh('2025-06-13T00:00:00')).toISOString());
    now = sh('2025-06-13T09:00:00');
    const confirmed = await act('rc', { action: 'confirm' });
    expect(confirmed.body.reviewDeadline).toBe(new Date(sh('2025-06-19T00:00:00')).toISOString());

    const queue = new Queue('fund', { connection: { url: testServices().redisUrl }, prefix: `${tp.redisPrefix}:bull` });
    tp.defer(() => queue.close());
    now = sh('2025-06-19T08:00:00');
    for (const job of await queue.getDelayed()) await job.promote();
    const c = await waitFor(
      async () => {
        const body = (await tp.api('GET', `fund/cases/${id}`)).body;
        return body.escalatedAt ? body : null;
      },
      { message: 'escalation' },
    );
    expect(c.state).toBe('confirmed'); // national: no deemed approval, escalated instead
    expect(c.timeline.map((e: { action: string }) => e.action)).toEqual(['opened', 'propose', 'publish_notice', 'confirm', 'escalated']);
    expect(c.availableActions).toEqual([]);
    expect((await tp.api('GET', `fund/cases/${id}`, undefined, tokens.auth)).body.availableActions).toEqual(['approve', 'reject']);
    expect((await act('auth', { action: 'reject', reason: '不属于紧急情况' })).body.state).toBe('rejected');
    expect((await act('auth', { action: 'approve' })).status).toBe(409);
  }, 60_000);
});
