// PostgreSQL faults (issue 19) against two real server processes sharing a private PostgreSQL
// (helpers/postgres-server.ts, never the machine's own) and one Redis: the database stopped under
// load (immediate shutdown: connections cut mid-batch), then started again on the same port. No
// hop is late or refused (the log only queues; a profile not read in time is read next hop), the
// queued rows are written once the database is back, and every hop dialled is one row: none lost,
// none doubled (a batch retried after a cut connection writes its rows once).
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/postgres.ts';
import { type PostgresServer, startPostgresServer } from '../helpers/postgres-server.ts';
import { type FaultGateway, startFaultGateway } from './fault-gateway.ts';
import { createDialer, fault, SCREENS, sleep, startingWith, until } from './support.ts';

let pg: PostgresServer | undefined;
const gateways: FaultGateway[] = [];
afterEach(async () => {
  for (const gw of gateways.splice(0)) await gw.dispose();
  await pg?.dispose();
  pg = undefined;
});

const MAIN = startingWith(SCREENS.main);
/** A session that reads the phone's profile and changes nothing: '' → 2 (account) → 2*0 (back). */
const WALK = ['', '2', '2*0'];

describe('PostgreSQL faults', () => {
  it('PostgreSQL stopped and started under load: no hop late, no row lost or doubled', () =>
    fault('PostgreSQL stopped under load, then started', async (t) => {
      pg = await startPostgresServer();
      const db = await freshDatabase('fault', pg.url);
      const env = {
        DATABASE_URL: db.url,
        REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: `test:pgfault:${randomBytes(4).toString('hex')}:`,
        HOP_RATE_PER_MINUTE: '0',
      };
      for (let i = 0; i < 2; i++) gateways.push(await startFaultGateway(env));
      const dial = gateways.map((gw) => createDialer(gw.url, t));
      const sent: string[] = [];
      const timed: { at: number; ms: number }[] = [];
      let stop = false;
      let n = 0;
      // Four phones dialling one after another, each session's hops alternating between the two.
      const phone = async (k: number) => {
        while (!stop) {
          const sessionId = `ATUid_pgfault_${k}_${++n}`;
          // A new phone each session: its profile is read from PostgreSQL (down: not in time).
          const phoneNumber = `+2547${String(k)}${String(n).padStart(7, '0')}`;
          for (const [i, text] of WALK.entries()) {
            const r = await (dial[(n + i) % dial.length] as (typeof dial)[number])({
              sessionId,
              text,
              phoneNumber,
            });
            expect(r.status).toBe(200);
            if (i === 0) expect(r.body).toMatch(MAIN);
            timed.push({ at: r.at - r.ms, ms: r.ms });
            sent.push(`${sessionId}|${text}`);
          }
        }
      };
      const load = Promise.all([0, 1, 2, 3].map(phone));
      await sleep(1_500);
      const downAt = Date.now();
      await pg.stop();
      t.injected = true;
      await sleep(3_000);
      const queued = await (gateways[0] as FaultGateway).readyz();
      expect(queued.body.sqlite.queued).toBeGreaterThan(0); // the rows wait in memory
      const upAt = Date.now();
      await pg.start();
      await sleep(2_000);
      stop = true;
      await load;
      // Written once it is back: every queue drains.
      for (const gw of gateways)
        await until(
          async () => (await gw.readyz()).body.sqlite.queued === 0 || null,
          20_000,
          'the queue drained',
        );
      const rows = await db.query<{ k: string; n: number }>(
        `SELECT session_id || '|' || text AS k, count(*) AS n FROM hops GROUP BY session_id, text`,
      );
      t.rowsExpected = sent.length;
      t.rowsFound = rows.reduce((s, r) => s + r.n, 0);
      expect(rows.filter((r) => r.n > 1)).toEqual([]);
      expect(rows.map((r) => r.k).sort()).toEqual([...sent].sort());
      const sessions = await db.query<{ n: number }>('SELECT count(*) AS n FROM sessions');
      expect(sessions[0]?.n).toBe(sent.length / WALK.length);
      // The hops begun while PostgreSQL was down: their latency, for the summary.
      const down = timed
        .filter((h) => h.at >= downAt && h.at < upAt)
        .map((h) => h.ms)
        .sort((a, b) => a - b);
      const pct = (p: number) => down[Math.max(0, Math.ceil((p / 100) * down.length) - 1)] ?? 0;
      expect(down.length).toBeGreaterThan(0);
      t.note = `${sent.length} hops over ${sent.length / WALK.length} sessions (a new phone each); PostgreSQL down 3 s: ${down.length} hops, p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`;
      await db.drop();
    }));
});
