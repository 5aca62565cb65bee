/**
 * A satisfaction survey closes by itself at the end of its half-year (issue 13 §3; seed
 * 001_187fc5f9dc35b825.txt 四(三) 每半年征询1次): opened two seconds before the end of 2026H2 on a
 * fake clock, the clock then moved past the end; the durable close job (workflow_steps + BullMQ,
 * one worker of the cluster) tallies the answers with nobody closing it by hand. A second run of
 * the close changes nothing, and a close by hand afterwards is refused as closed already.
 */
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { SurveyService } from '../../apps/platform/src/services/survey.service';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const END = Date.parse('2027-01-01T00:00:00+08:00');

describe('satisfaction survey closes at the end of its period', () => {
  let tp: TestPlatform;
  let now = END - 2000;
  let communityId: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    tp = await startTestPlatform();
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    communityId = (await tp.createCommunity({ name: '和谐家园', district: '昭阳区', street: '凤凰街道' })).id;
    const company = await tp.api('POST', '/api/v1/property-companies', { name: '和谐物业有限公司', creditCode: '91530602MA6K00001R' });
    expect(company.status).toBe(201);
    expect((await tp.api('POST', `/api/v1/property-companies/${company.body.id}/communities`, { communityIds: [communityId] })).status).toBe(201);
    for (const [name, role] of [['staff', 'property_staff'], ['committee', 'owners_committee'], ['o1', 'owner']] as const) {
      expect((await tp.api('POST', '/api/v1/users', { username: `sac-${name}`, password: 'user-pass-123', role, scope: { level: 'community', communityIds: [communityId] } })).status).toBe(201);
      tokens[name] = await tp.login(`sac-${name}`, 'user-pass-123');
    }
    const csv = 'building,number,floorArea,owner\n1栋,101,90.00,sac-o1\n1栋,102,80.00,\n';
    const res = await fetch(`${tp.httpUrl}/api/v1/communities/${communityId}/units/import`, { method: 'POST', headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${tokens.staff}` }, body: csv });
    expect(res.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
  });

  it('is tallied and closed by the close job once the clock passes the end of the half-year, once', async () => {
    const opened = await tp.api('POST', '/api/v1/surveys', { communityId, period: '2026H2' }, tokens.committee);
    expect(opened.status).toBe(201);
    const id = opened.body.id as string;
    expect((await tp.api('POST', `/api/v1/surveys/${id}/answers`, { scores: { cleaning: 5, parking: 4 } }, tokens.o1)).status).toBe(201);

    now = END + 1000;
    const closed = await waitFor(
      async () => {
        const res = await tp.api('GET', `/api/v1/surveys/${id}`, undefined, tokens.committee);
        return res.body.status === 'closed' ? res.body : undefined;
      },
      { timeoutMs: 30_000, message: 'the survey closed by its job' },
    );
    expect(closed.closedAt).toBe(new Date(END + 1000).toISOString());
    expect(closed.result).toMatchObject({ units: 2, answeredUnits: 1, responseRate: 50 });

    // Closing again (a second run of the job, a close by hand) changes nothing.
    now = END + 60_000;
    await tp.platform.app.get(SurveyService).onPeriodEnd(id);
    expect((await tp.api('POST', `/api/v1/surveys/${id}/close`, {}, tokens.committee)).status).toBe(409);
    const after = await tp.api('GET', `/api/v1/surveys/${id}`, undefined, tokens.committee);
    expect(after.body).toMatchObject({ status: 'closed', closedAt: closed.closedAt, result: closed.result });
  }, 60_000);
});
