// Issue 15 items 2 and 11, against the real server process: behind one proxy (TRUST_PROXY=1; the
// test is the proxy, on loopback) with an allow-list, a client cannot get in by writing an allowed
// address at the left of X-Forwarded-For; a header that cannot be read is a 403, not a thrown
// error; and no secret, right or wrong, reaches the log, whatever fails (a client that goes away
// in the middle of its body makes the request fail inside Hono, whose error handler logs it).
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashLines, type FaultGateway, settledRows, startFaultGateway } from './fault-gateway.ts';
import { count, fault, SCREENS, sleep, startingWith } from './support.ts';

const CALLBACK_SECRET = 'cb-GUARDS-0f1e2d3c4b5a69788796';
const WRONG = 'wrong-GUARDS-5a4b3c2d1e0f9a8b';
const ALLOWED = '203.0.113.0/24';

let gw: FaultGateway;
beforeAll(async () => {
  gw = await startFaultGateway({
    CALLBACK_SECRET,
    ALLOWED_IPS: ALLOWED,
    TRUST_PROXY: '1',
    LOG_LEVEL: 'trace',
  });
});
afterAll(async () => {
  await gw?.dispose();
});

const FORM = (id: string) =>
  new URLSearchParams({ sessionId: id, serviceCode: '*384*123#', phoneNumber: '+254711000901', text: '' });

async function post(forwarded: string, id: string) {
  const started = Date.now();
  const res = await fetch(`${gw.url}/ussd/${CALLBACK_SECRET}`, {
    method: 'POST',
    body: FORM(id),
    headers: { 'x-forwarded-for': forwarded },
  });
  return { status: res.status, body: await res.text(), ms: Date.now() - started };
}

/** Sends a request line, headers and part of a body, then goes away. */
async function abandon(path: string): Promise<void> {
  const socket = connect(gw.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 203.0.113.9\r\n` +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\nsessionId=gone&text=',
  );
  await sleep(150);
  socket.destroy();
  await sleep(150);
}

describe('callback guards', () => {
  it('X-Forwarded-For: the entry the proxy added decides; unreadable is 403; no secret logged', () =>
    fault('Forged and garbage X-Forwarded-For, secrets in failing requests', async (t) => {
      const MAIN = startingWith(SCREENS.main);
      const allowed = await post('203.0.113.7', 'guard-ok');
      expect(allowed.body).toMatch(MAIN);
      const cases: [string, string][] = [
        ['forged left-most, real client right-most', '203.0.113.7, 198.51.100.9'],
        ['two forged entries', '203.0.113.7, 203.0.113.8, 198.51.100.9'],
        ['garbage', 'garbage'],
        ['empty entries', ', ,'],
        ['out of range', '203.0.113.300'],
        ['a zone id', '203.0.113.7%eth0'],
      ];
      const refused: string[] = [];
      for (const [what, header] of cases) {
        const r = await post(header, `guard-${refused.length}`);
        count(t, { status: r.status, body: r.body, ms: r.ms });
        refused.push(`${what}: ${r.status}`);
      }
      const before = gw.output().length;
      for (const path of [`/ussd/${CALLBACK_SECRET}`, `/ussd/${WRONG}`, `/ussd?secret=${CALLBACK_SECRET}`])
        await abandon(path);
      await sleep(300);
      t.injected = true;
      const output = gw.output();
      const errorLines = output.split('\n').filter((l) => /"level":50/.test(l));
      t.note =
        `${cases.length} forged/unreadable headers: ${refused.filter((r) => r.endsWith('403')).length} refused with 403 ` +
        `(${refused.map((r) => r.split(': ')[1]).join('/')}); ` +
        `error lines: ${errorLines.length}; abandoned requests logged ${output.length - before} bytes; ` +
        `secret in the log: ${output.includes(CALLBACK_SECRET)}, wrong secret: ${output.includes(WRONG)}`;
      expect(refused).toEqual(cases.map(([what]) => `${what}: 403`));
      expect(output.includes(CALLBACK_SECRET), 'CALLBACK_SECRET in the log').toBe(false);
      expect(output.includes(WRONG), 'a wrong secret in the log').toBe(false);
      expect(errorLines, 'lines at error level').toEqual([]);
      expect(crashLines(output)).toEqual([]);
      t.rowsExpected = 1;
      t.rowsFound = await settledRows(gw.dbPath, 1);
    }));
});
