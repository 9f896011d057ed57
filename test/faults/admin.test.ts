// Who gets in, against the real server process (issue 8): the admin page and report, the JSON API
// and the AT callback with CALLBACK_SECRET answer 401/403 without the right token, however it is
// got wrong, and 200 with it; and no token, right or wrong, ever appears in the gateway's logs.
// (The comparisons are constant-time by construction: SHA-256 digests of equal length through
// crypto.timingSafeEqual in report/admin.ts, inference/query-route.ts and protocol/guard.ts; timing is
// not measured here.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { crashLines, type FaultGateway, settledRows, startFaultGateway } from './fault-gateway.ts';
import { createDialer, fault } from './support.ts';

const ADMIN_TOKEN = 'adm-FAULTSUITE-7f3a9c1e5b2d4f60';
const API_TOKEN = 'api-FAULTSUITE-0b9e8d7c6a5f4e31';
const CALLBACK_SECRET = 'cb-FAULTSUITE-5d4c3b2a1f0e9d8c';
const WRONG = 'wrong-FAULTSUITE-attempt-000000';

let fake: FakeOllama;
let gw: FaultGateway;
beforeAll(async () => {
  fake = await startFakeOllama();
  // The most talkative level: whatever the code logs anywhere, it logs here.
  gw = await startFaultGateway({
    ADMIN_TOKEN,
    API_TOKEN,
    CALLBACK_SECRET,
    OLLAMA_HOST: fake.url,
    LOG_LEVEL: 'trace',
  });
});
afterAll(async () => {
  await gw?.dispose();
  await fake?.close();
});

interface Case {
  what: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const QUERY = JSON.stringify({ user_id: 'u1', query: 'When do long rains start?' });
const FORM = 'sessionId=adm-1&serviceCode=*384%23&phoneNumber=%2B254711000800&text=';
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

const CASES: Case[] = [
  { what: 'admin page, no token', path: '/admin', status: 401 },
  { what: 'admin report, no token', path: '/admin/report.json', status: 401 },
  { what: 'admin, wrong bearer', path: '/admin', headers: { authorization: `Bearer ${WRONG}` }, status: 401 },
  { what: 'admin, wrong ?token', path: `/admin/report.json?token=${WRONG}`, status: 401 },
  { what: 'admin, token minus a char', path: `/admin?token=${ADMIN_TOKEN.slice(0, -1)}`, status: 401 },
  { what: 'admin, token plus a char', path: `/admin?token=${ADMIN_TOKEN}x`, status: 401 },
  { what: 'admin, empty bearer', path: '/admin', headers: { authorization: 'Bearer ' }, status: 401 },
  {
    what: 'admin, API token',
    path: '/admin',
    headers: { authorization: `Bearer ${API_TOKEN}` },
    status: 401,
  },
  {
    what: 'admin, basic auth',
    path: '/admin',
    headers: { authorization: `Basic ${btoa(`a:${ADMIN_TOKEN}`)}` },
    status: 401,
  },
  {
    what: 'admin, right bearer',
    path: '/admin/report.json',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    status: 200,
  },
  { what: 'admin, right ?token', path: `/admin?token=${ADMIN_TOKEN}`, status: 200 },
  { what: 'api, no token', method: 'POST', path: '/api/query', headers: JSON_TYPE, body: QUERY, status: 401 },
  {
    what: 'api, wrong token',
    method: 'POST',
    path: '/api/query',
    headers: { ...JSON_TYPE, authorization: `Bearer ${WRONG}` },
    body: QUERY,
    status: 401,
  },
  {
    what: 'api, admin token',
    method: 'POST',
    path: '/api/query',
    headers: { ...JSON_TYPE, authorization: `Bearer ${ADMIN_TOKEN}` },
    body: QUERY,
    status: 401,
  },
  {
    what: 'api, right token',
    method: 'POST',
    path: '/api/query',
    headers: { ...JSON_TYPE, authorization: `Bearer ${API_TOKEN}` },
    body: QUERY,
    status: 200,
  },
  { what: 'callback, no secret', method: 'POST', path: '/ussd', headers: FORM_TYPE, body: FORM, status: 403 },
  {
    what: 'callback, wrong path secret',
    method: 'POST',
    path: `/ussd/${WRONG}`,
    headers: FORM_TYPE,
    body: FORM,
    status: 403,
  },
  {
    what: 'callback, wrong ?secret',
    method: 'POST',
    path: `/ussd?secret=${WRONG}`,
    headers: FORM_TYPE,
    body: FORM,
    status: 403,
  },
  {
    what: 'events, no secret',
    method: 'POST',
    path: '/ussd/events',
    headers: FORM_TYPE,
    body: 'sessionId=adm-1&status=Success',
    status: 403,
  },
];

describe('tokens', () => {
  it('401/403 without the right token, 200 with it; no token in the logs', () =>
    fault(`Wrong or missing tokens (${CASES.length} requests)`, async (t) => {
      const got: string[] = [];
      for (const c of CASES) {
        const started = Date.now();
        const res = await fetch(`${gw.url}${c.path}`, {
          method: c.method ?? 'GET',
          headers: c.headers ?? {},
          ...(c.body !== undefined ? { body: c.body } : {}),
        });
        const body = await res.text();
        t.hops++;
        t.maxMs = Math.max(t.maxMs, Date.now() - started);
        if (res.status >= 500) t.fiveXx++;
        got.push(`${c.what}: ${res.status}`);
        if (res.status === 401 || res.status === 403) {
          for (const secret of [ADMIN_TOKEN, API_TOKEN, CALLBACK_SECRET]) expect(body).not.toContain(secret);
        }
      }
      expect(got).toEqual(CASES.map((c) => `${c.what}: ${c.status}`));

      // The callback with the secret, as path segment and as query parameter: real hops.
      const inPath = createDialer(gw.url, t, { phoneNumber: '+254711000801' }, `/ussd/${CALLBACK_SECRET}`);
      expect((await inPath({ sessionId: 'adm-2', text: '' })).status).toBe(200);
      const inQuery = createDialer(
        gw.url,
        t,
        { phoneNumber: '+254711000802' },
        `/ussd?secret=${CALLBACK_SECRET}`,
      );
      expect((await inQuery({ sessionId: 'adm-3', text: '' })).status).toBe(200);
      t.injected = true;
      t.rowsExpected = 2;
      t.rowsFound = await settledRows(gw.dbPath, 2);

      const output = gw.output();
      expect(output.length).toBeGreaterThan(0);
      expect(crashLines(output)).toEqual([]);
      for (const [name, secret] of Object.entries({ ADMIN_TOKEN, API_TOKEN, CALLBACK_SECRET, WRONG })) {
        expect(output.includes(secret), `${name} in the gateway's output`).toBe(false);
      }
      t.note = `${CASES.length} requests as expected; ${output.split('\n').length} log lines, no token in any`;
    }));
});
