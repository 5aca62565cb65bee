/**
 * Complaints (接诉即办) end to end on the in-process platform (PGlite and PostgreSQL), Redis and BullMQ: an owner files a
 * repair request with a photo; nobody answers; on a fake clock each deadline passes and the
 * 'complaints' queue's durable timer takes it to the residents' committee, the street and the
 * district; the property company resolves it and the owner rates it. The owner is told of every
 * step, every step is audited, the supervision row counts it overdue, and an owner of another
 * community (or another owner of the same one) cannot see it. The owner's phone page (/complaints/,
 * headless Chromium at 375×812) files an item and rates the result.
 */
import { Queue } from 'bullmq';
import type { Browser } from 'playwright-core';
import { AlarmRepository } from '../../apps/platform/src/repositories/alarm.repository';
import { AuditRepository } from '../../apps/platform/src/repositories/audit.repository';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { collectCspViolations, launchChromium } from '../support/browser';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { testServices } from '../support/test-services';
import { waitFor } from '../support/wait';

const H = 3_600_000;
const PHONE = { width: 375, height: 812 };

interface BrowserGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null; documentElement: { scrollWidth: number } };
}

describe.each(['PGlite', 'PostgreSQL'] as const)('complaints (e2e, %s)', (database) => {
  let tp: TestPlatform;
  let postgres: FreshPostgres | undefined;
  let now = Date.parse('2026-03-02T09:00:00+08:00');
  const communities: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    postgres = database === 'PostgreSQL' ? await freshPostgresDatabase() : undefined;
    tp = await startTestPlatform(postgres ? { env: { DATABASE_URL: postgres.url } } : {});
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    for (const [key, name, street] of [
      ['a', '接诉花园', '东街街道'],
      ['b', '隔壁小区', '西街街道'],
    ] as const) {
      const res = await tp.api('POST', '/api/v1/communities', { name, district: '鼓楼区', street, buildings: [{ name: '1栋', units: [{ number: '101', floorArea: '90.00' }] }] });
      expect(res.status).toBe(201);
      communities[key] = res.body.id;
    }
    const users: Array<[string, string, Record<string, unknown>]> = [
      ['owner', 'owner', { level: 'community', communityIds: [communities.a] }],
      ['neighbour', 'owner', { level: 'community', communityIds: [communities.a] }],
      ['stranger', 'owner', { level: 'community', communityIds: [communities.b] }],
      ['property', 'property_staff', { level: 'community', communityIds: [communities.a] }],
      ['rc', 'residents_committee', { level: 'community', communityIds: [communities.a] }],
      ['street', 'street_officer', { level: 'street', district: '鼓楼区', street: '东街街道' }],
      ['otherstreet', 'street_officer', { level: 'street', district: '鼓楼区', street: '西街街道' }],
      ['authority', 'district_authority', { level: 'district', district: '鼓楼区' }],
    ];
    for (const [name, role, scope] of users) {
      expect((await tp.api('POST', '/api/v1/users', { username: `cmp-${name}`, password: 'user-pass-123', role, scope })).status).toBe(201);
      tokens[name] = await tp.login(`cmp-${name}`, 'user-pass-123');
    }
  }, 90_000);

  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await tp?.close();
    await postgres?.drop();
  }, 60_000);

  it('escalates an unanswered repair request to the street and the district on a fake clock, then it is resolved and rated', async () => {
    // The district sets this community's deadline for leaks; the property company may not set its own.
    expect((await tp.api('PUT', `/api/v1/complaints/communities/${communities.a}/settings`, { resolveHours: { repair: 24 } }, tokens.property)).status).toBe(403);
    const settings = await tp.api('PUT', `/api/v1/complaints/communities/${communities.a}/settings`, { resolveHours: { repair: 24 } }, tokens.authority);
    expect(settings.status).toBe(200);
    expect(settings.body).toMatchObject({ resolveHours: { repair: 24, repair_urgent: 4 }, levelHours: { residents_committee: 72, street: 120, district: 240 } });

    const filed = await tp.api('POST', '/api/v1/complaints', { communityId: communities.a, kind: 'repair', category: 'repair', text: '楼顶漏水，天花板渗水', location: '1栋 顶层楼梯间', contact: '13800000000' }, tokens.owner);
    expect(filed.status).toBe(201);
    const id = filed.body.id as string;
    expect(filed.body).toMatchObject({ state: 'open', level: 'property', deadline: new Date(now + 24 * H).toISOString(), contact: '13800000000' });
    // A linked alarm must be one of the same community.
    expect((await tp.api('POST', '/api/v1/complaints', { communityId: communities.a, kind: 'complaint', category: 'other', text: 'x', location: 'y', alarmId: '00000000-0000-4000-8000-000000000000' }, tokens.owner)).status).toBe(400);
    expect((await tp.api('POST', '/api/v1/complaints', { communityId: communities.b, kind: 'repair', category: 'repair', text: 'x', location: 'y' }, tokens.owner)).status).toBe(404);

    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('water stain')]);
    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), 'leak.png');
    const photo = await fetch(`${tp.httpUrl}/api/v1/complaints/${id}/photos`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${tokens.owner}` } });
    expect(photo.status).toBe(201);

    // Scope: another owner of the same community, an owner or street of another community see nothing.
    for (const who of ['neighbour', 'stranger', 'otherstreet']) {
      expect((await tp.api('GET', `/api/v1/complaints/${id}`, undefined, tokens[who])).status).toBe(404);
      expect((await tp.api('GET', '/api/v1/complaints', undefined, tokens[who])).body).toEqual([]);
    }
    expect((await tp.api('POST', `/api/v1/complaints/${id}/actions`, { action: 'resolve', note: 'x' }, tokens.stranger)).status).toBe(404);
    expect((await tp.api('GET', `/api/v1/complaints/${id}`, undefined, tokens.rc)).body.contact).toBe('13800000000');

    const queue = new Queue('complaints', { connection: { url: testServices().redisUrl }, prefix: `${tp.redisPrefix}:bull` });
    tp.defer(() => queue.close());
    const promoteAll = async () => {
      for (const job of await queue.getDelayed()) await job.promote().catch(() => undefined);
    };
    const level = async () => (await tp.api('GET', `/api/v1/complaints/${id}`, undefined, tokens.owner)).body.level as string;

    // Early: the timer fires but the clock says wait.
    await promoteAll();
    await waitFor(async () => (await queue.getDelayed()).length === 1, { message: 'early timer re-armed' });
    expect(await level()).toBe('property');

    // Nobody answers: each deadline passes in turn.
    now += 24 * H + 1;
    await promoteAll();
    await waitFor(async () => (await level()) === 'residents_committee', { message: 'to the residents committee' });
    now += 72 * H + 1;
    await promoteAll();
    await waitFor(async () => (await level()) === 'street', { message: 'to the street' });
    // The committee can no longer act alone at the street level; the street sees it in its supervision row.
    const row = await tp.api('GET', `/api/v1/supervision/communities/${communities.a}`, undefined, tokens.street);
    expect(row.body.complaints).toEqual({ open: 1, overdue: 0 });
    now += 120 * H + 1;
    expect((await tp.api('GET', `/api/v1/supervision/communities/${communities.a}`, undefined, tokens.street)).body.complaints).toEqual({ open: 1, overdue: 1 });
    expect((await tp.api('GET', '/api/v1/complaints?overdue=true', undefined, tokens.authority)).body.map((c: { id: string }) => c.id)).toEqual([id]);
    await promoteAll();
    await waitFor(async () => (await level()) === 'district', { message: 'to the district' });

    // The property company resolves it at last; the owner rates it (only the owner).
    const resolved = await tp.api('POST', `/api/v1/complaints/${id}/actions`, { action: 'resolve', note: '已修补防水层' }, tokens.property);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ state: 'resolved', level: 'district' });
    expect((await tp.api('POST', `/api/v1/complaints/${id}/actions`, { action: 'rate', satisfaction: 4 }, tokens.property)).status).toBe(403);
    expect((await tp.api('POST', `/api/v1/complaints/${id}/actions`, { action: 'rate', satisfaction: 6 }, tokens.owner)).status).toBe(400);
    const rated = await tp.api('POST', `/api/v1/complaints/${id}/actions`, { action: 'rate', satisfaction: 4, note: '慢了点' }, tokens.owner);
    expect(rated.body).toMatchObject({ state: 'closed', satisfaction: 4 });
    expect(rated.body.timeline.map((e: { action: string }) => e.action)).toEqual(['filed', 'escalated', 'escalated', 'escalated', 'resolve', 'rate']);

    // The owner was told of each step; each step is in the audit log.
    const inbox = (await tp.api('GET', '/api/v1/complaints/inbox', undefined, tokens.owner)).body as Array<{ action: string; level: string }>;
    expect(inbox.map((n) => `${n.action}@${n.level}`).reverse()).toEqual(['filed@property', 'escalated@residents_committee', 'escalated@street', 'escalated@district', 'resolve@district', 'rate@district']);
    // Each level's handlers were told when the item reached them; the other street was not.
    const told = async (who: string) => ((await tp.api('GET', '/api/v1/complaints/inbox', undefined, tokens[who])).body as Array<{ action: string; level: string }>).map((n) => `${n.action}@${n.level}`);
    expect(await told('property')).toEqual(['filed@property']);
    expect(await told('rc')).toEqual(['escalated@residents_committee']);
    expect(await told('street')).toEqual(['escalated@street']);
    expect(await told('authority')).toEqual(['escalated@district']);
    expect(await told('otherstreet')).toEqual([]);
    const audit = await tp.platform.app.get(AuditRepository).forSubject('complaint', id);
    expect(audit.map((a) => a.action)).toEqual(['complaint.filed', 'complaint.photo_added', 'complaint.escalated', 'complaint.escalated', 'complaint.escalated', 'complaint.resolve', 'complaint.rate']);

    // Statistics for the street: one item, rated 4, no longer open.
    const stats = await tp.api('GET', `/api/v1/complaints/statistics?communityId=${communities.a}`, undefined, tokens.street);
    expect(stats.body).toEqual([expect.objectContaining({ communityId: communities.a, count: 1, open: 0, overdue: 0, rated: 1, avgSatisfaction: 4, avgResolutionMinutes: (24 + 72 + 120) * 60 })]);
    expect((await tp.api('GET', '/api/v1/complaints/statistics', undefined, tokens.owner)).status).toBe(403);
  });

  it('links a complaint to an alarm of its own community only', async () => {
    const raise = async (communityId: string) => {
      const device = await tp.provisionDevice(communityId, 'elevator');
      const { alarm } = await tp.platform.app.get(AlarmRepository).raise({ communityId, deviceId: device.id, type: 'trapped_passenger', severity: 1, source: 'device', at: new Date(now), detail: {} });
      return alarm.id;
    };
    const own = await raise(communities.a);
    const other = await raise(communities.b);
    const body = { communityId: communities.a, kind: 'complaint', category: 'service', text: '困人半小时无人到场', location: '1栋 电梯' };
    expect((await tp.api('POST', '/api/v1/complaints', { ...body, alarmId: other }, tokens.owner)).status).toBe(400);
    const linked = await tp.api('POST', '/api/v1/complaints', { ...body, alarmId: own }, tokens.owner);
    expect(linked.status).toBe(201);
    expect(linked.body.alarmId).toBe(own);
  });

  // The page once, on the default database.
  if (database === 'PGlite') it('an owner files from the phone page, follows it and rates the result; the page fits 375 px and switches to English', async () => {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', isMobile: true, hasTouch: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    collectCspViolations(page, errors);
    const text = (selector: string) => page.evaluate((sel) => (globalThis as unknown as BrowserGlobals).document.querySelector(sel)?.textContent ?? '', selector);
    const fits = async () => expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);

    await page.goto(`${tp.httpUrl}/complaints/`);
    await page.fill('#login-username', 'cmp-neighbour');
    await page.fill('#login-password', 'user-pass-123');
    await page.click('#login-submit');
    await page.waitForSelector('#empty', { state: 'visible' });
    await fits();

    await page.click('#new');
    await page.selectOption('#f-category', 'environment');
    await page.fill('#f-text', '垃圾桶三天未清运');
    await page.fill('#f-location', '2栋 北门');
    await page.setInputFiles('#f-photo', { name: 'bin.png', mimeType: 'image/png', buffer: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('bins')]) });
    await page.click('#file-form button[type="submit"]');
    await page.waitForSelector('#detail [data-field="deadline"]');
    expect(await text('#detail [data-field="level"]')).toBe('物业服务企业');
    expect(await text('#history')).toContain('提交');
    expect(await text('#photos')).toContain('照片');
    await fits();
    const mine = (await tp.api('GET', '/api/v1/complaints', undefined, tokens.neighbour)).body as Array<{ id: string; category: string }>;
    expect(mine.map((c) => c.category)).toEqual(['environment']);
    expect((await tp.api('GET', `/api/v1/complaints/${mine[0].id}`, undefined, tokens.neighbour)).body.photos).toHaveLength(1);

    // The property company resolves it; the owner opens it again and rates it on the page.
    expect((await tp.api('POST', `/api/v1/complaints/${mine[0].id}/actions`, { action: 'resolve', note: '已清运' }, tokens.property)).status).toBe(200);
    await page.click('#detail [data-do="back"]');
    await page.reload();
    await page.click(`#list [data-id="${mine[0].id}"]`);
    await page.click('#detail [data-do="rate"][data-n="5"]');
    await page.waitForSelector('#detail [data-field="satisfaction"]');
    expect(await text('#detail [data-field="state"]')).toBe('已评价');
    await page.click('.topbar .lang__btn[data-lang="en"]');
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobals).document.querySelector('#detail [data-field="state"]')?.textContent === 'Rated');
    await fits();
    expect((await tp.api('GET', `/api/v1/complaints/${mine[0].id}`, undefined, tokens.neighbour)).body.satisfaction).toBe(5);
    expect(errors).toEqual([]);
    await context.close();
  });
});
