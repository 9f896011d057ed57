// Three gateway processes behind a load balancer (issue 19), sharing one Redis and one PostgreSQL
// (DATABASE_URL), each session's hops alternating between them: every replica's /admin report
// counts what was dialled, and the database holds every hop once, row for row, each session one
// sessions row with all its hops whichever replicas served them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/report/report.ts';
import { type GatewayProcess, postHop, startGateway } from './helpers/gateway-process.ts';
import { freshDatabase, type TestDatabase } from './helpers/postgres.ts';
import { REDIS_URL } from './support/build-app.ts';

const ADMIN_TOKEN = 'adm-PG-REPLICAS-0123456789';
const SESSIONS = 30;
/** The main menu, the account screen, the language screen, back to the account: nothing written but the log. */
const WALK = ['', '2', '2*1', '2*1*0'];

let db: TestDatabase;
let gateways: GatewayProcess[] = [];
beforeAll(async () => {
  db = await freshDatabase('replicas');
  const env = {
    REDIS_URL,
    REDIS_KEY_PREFIX: `test:pgr:${randomBytes(5).toString('hex')}:`,
    DATABASE_URL: db.url,
    ADMIN_TOKEN,
    HOP_RATE_PER_MINUTE: '0',
    TIMEZONE_OFFSET_MINUTES: '0',
  };
  // One first, so the schema is made once; the others find it current.
  gateways = [await startGateway(env, 40_000)];
  gateways.push(...(await Promise.all([startGateway(env, 40_000), startGateway(env, 40_000)])));
}, 90_000);
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await db?.drop();
});

describe('three replicas, one Redis, one PostgreSQL', () => {
  it("every replica's report counts what was dialled; every hop is one row", async () => {
    const dialled: string[] = [];
    await Promise.all(
      Array.from({ length: SESSIONS }, async (_, s) => {
        const sessionId = `ATUid_pgr_${s}`;
        for (const [i, text] of WALK.entries()) {
          const gw = gateways[(s + i) % gateways.length] as GatewayProcess;
          const r = await postHop(`${gw.url}/ussd`, {
            sessionId,
            text,
            phoneNumber: `+25475600${String(s).padStart(4, '0')}`,
          });
          expect(r.status).toBe(200);
          expect(r.body).toMatch(/^CON /);
          dialled.push(`${sessionId}|${text}`);
        }
      }),
    );
    // Each replica writes its own rows: wait until all are in.
    const deadline = Date.now() + 15_000;
    let rows: { k: string; n: number }[] = [];
    while (Date.now() < deadline) {
      rows = await db.query<{ k: string; n: number }>(
        `SELECT session_id || '|' || text AS k, count(*) AS n FROM hops GROUP BY session_id, text`,
      );
      if (rows.reduce((a, r) => a + r.n, 0) >= dialled.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    expect(rows.map((r) => r.k).sort()).toEqual([...dialled].sort());
    expect(await db.query('SELECT DISTINCT hops FROM sessions')).toEqual([{ hops: WALK.length }]);

    for (const gw of gateways) {
      const res = await fetch(`${gw.url}/admin/report.json?days=1`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(200);
      const report = (await res.json()) as Report;
      expect(report.total).toMatchObject({ sessions: SESSIONS, dialers: SESSIONS, newUsers: SESSIONS });
    }
  }, 60_000);
});
