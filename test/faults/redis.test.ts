// Redis faults against the real server process and a private redis-server (issue 8): stopped in
// the middle of a session, then started again on the same port; and paused (CLIENT PAUSE, as a
// slow or overloaded Redis would be). The phone always gets a polite screen within the deadline,
// /readyz tells the truth, the process heals without a restart, and every hop has its log row.
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { crashLines, type FaultGateway, queryRows, settledRows, startFaultGateway } from './fault-gateway.ts';
import { COMMAND_TIMEOUT_MS, createDialer, fault, SCREENS, startingWith, until } from './support.ts';

let redis: RedisServer | undefined;
let gw: FaultGateway | undefined;
afterEach(async () => {
  await gw?.dispose();
  await redis?.dispose();
  gw = undefined;
  redis = undefined;
});

const MAIN = startingWith(SCREENS.main);
const ASK = startingWith(SCREENS.ask);

describe('Redis faults', () => {
  it('Redis stopped mid-session: polite END in time, /readyz 503, no crash; heals when Redis returns', () =>
    fault('Redis stopped mid-session, then restarted', async (t) => {
      redis = await startRedisServer();
      gw = await startFaultGateway({ REDIS_URL: redis.url });
      const hop = createDialer(gw.url, t);

      expect((await hop({ sessionId: 'walk-1', text: '' })).body).toMatch(MAIN);
      expect((await hop({ sessionId: 'walk-1', text: '1' })).body).toMatch(ASK);
      expect((await gw.readyz()).status).toBe(200);

      await redis.stop();
      t.injected = await redis.cli('PING').then(
        () => false,
        () => true,
      );
      // The session in progress, new sessions, and a resent hop: each a polite END.
      const during = [
        await hop({ sessionId: 'walk-1', text: '1*what is malaria' }),
        await hop({ sessionId: 'walk-2', text: '' }),
        await hop({ sessionId: 'walk-2', text: '' }),
        ...(await Promise.all([1, 2, 3, 4].map((i) => hop({ sessionId: `burst-${i}`, text: '' })))),
      ];
      for (const r of during) {
        expect(r.status).toBe(200);
        expect(r.type).toMatch(/^text\/plain/);
        expect(r.body).toBe(SCREENS.error);
      }
      const down = await until(
        async () => {
          const r = await gw?.readyz();
          return r?.status === 503 ? r : null;
        },
        5_000,
        '/readyz 503',
      );
      expect(down.body.sessions.ok).toBe(false);
      expect(gw.child.exitCode).toBeNull();

      await redis.start();
      // No restart of the gateway: it reconnects by itself (capped back-off, ~2 s at most).
      let recovered = 0;
      await until(
        async () => {
          const r = await hop({ sessionId: `back-${recovered++}`, text: '' });
          return MAIN.test(r.body);
        },
        8_000,
        'a new session to work again',
      );
      expect((await hop({ sessionId: 'after', text: '' })).body).toMatch(MAIN);
      expect((await hop({ sessionId: 'after', text: '1' })).body).toMatch(ASK);
      await until(async () => (await gw?.readyz())?.status === 200, 5_000, '/readyz 200 again');
      expect(gw.child.exitCode).toBeNull();
      expect(crashLines(gw.output())).toEqual([]);

      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(gw.dbPath, t.hops);
      const errors = queryRows<{ n: number }>(
        gw.dbPath,
        "SELECT count(*) AS n FROM hops WHERE outcome = 'error'",
      )[0]?.n;
      t.note = `${during.length} hops while down, ${errors} logged as 'error'; healed after ${recovered} tries`;
    }));

  it('Redis paused (CLIENT PAUSE 2000): each hop bounded by the command timeout, never the deadline', () =>
    fault('Redis slow (CLIENT PAUSE 2 s)', async (t) => {
      redis = await startRedisServer();
      gw = await startFaultGateway({ REDIS_URL: redis.url });
      const hop = createDialer(gw.url, t);
      expect((await hop({ sessionId: 'slow-1', text: '' })).body).toMatch(MAIN);

      const pausedAt = Date.now();
      expect(await redis.cli('CLIENT', 'PAUSE', '2000', 'ALL')).toBe('OK');
      const during = await Promise.all([
        hop({ sessionId: 'slow-1', text: '1' }),
        ...[1, 2, 3, 4, 5].map((i) => hop({ sessionId: `slow-new-${i}`, text: '' })),
      ]);
      t.injected = Date.now() - pausedAt < 2000; // all answered while Redis was still paused
      for (const r of during) {
        expect(r.body).toBe(SCREENS.error);
        // One Redis call timed out (begin); nothing waits for the hop deadline.
        expect(r.ms).toBeLessThan(2 * COMMAND_TIMEOUT_MS + 250);
      }
      await until(
        async () => {
          const r = await hop({ sessionId: `slow-after-${Date.now()}`, text: '' });
          return MAIN.test(r.body);
        },
        6_000,
        'hops to work after the pause',
      );
      expect(crashLines(gw.output())).toEqual([]);

      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(gw.dbPath, t.hops);
      t.note = `${during.map((r) => r.ms).join('/')} ms while paused (command timeout ${COMMAND_TIMEOUT_MS} ms)`;
    }));
});
