// Issue 15 item 13, against the real server process and a private redis-server: a lease taken for
// a hop that is already over (its command ran late) held the session, so the user's retry waited
// for it and got END (4.65 s as reproduced). Two ways a command runs late: Redis holds it (a pause,
// a stall) and runs it when it wakes; or ioredis queues it while it is reconnecting and sends it
// once Redis is back, long after the command timeout gave up on it (its offline queue).
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { crashLines, type FaultGateway, settledRows, startFaultGateway } from './fault-gateway.ts';
import {
  COMMAND_TIMEOUT_MS,
  createDialer,
  DEADLINE_MS,
  fault,
  type HopResult,
  SCREENS,
  sleep,
  startingWith,
  until,
} from './support.ts';

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
/** ioredis gives up on a socket that answers nothing after this (session/redis.ts socketTimeout). */
const SOCKET_TIMEOUT_MS = Math.max(2_000, 4 * COMMAND_TIMEOUT_MS);

describe('lease commands that run after their hop is over', () => {
  it('leave no lease behind: the retry is served at once', () =>
    fault('Lease command run late (Redis paused; Redis stalled, reconnecting)', async (t) => {
      redis = await startRedisServer();
      const server = redis;
      gw = await startFaultGateway({ REDIS_URL: server.url, HOP_RATE_PER_MINUTE: '0' });
      const gateway = gw;
      const hop = createDialer(gateway.url, t);
      // The question screen is the full way: begin takes the session's lease.
      const toAsk = (sessionId: string) => hop({ sessionId, text: '1' });
      const leases = async () => (await server.keys()).filter((k) => k.includes('lease:'));
      const connected = async () => (await server.cli('CLIENT', 'LIST')).includes('name=ussd-ai-gateway');
      for (const id of ['paused', 'stalled', 'queued'])
        expect((await hop({ sessionId: id, text: '' })).body).toMatch(MAIN);

      // 1. Redis paused: the begin waits inside Redis, the hop gives up, then Redis runs it.
      expect(await server.cli('CLIENT', 'PAUSE', '1000', 'ALL')).toBe('OK');
      const paused = await toAsk('paused');
      await sleep(1_200);
      const afterPause = await leases();

      // 2. Redis stalled (SIGSTOP): the begin sits unanswered, ioredis drops the socket and
      // reconnects (the kernel still accepts), but Redis cannot answer its ready check: the next
      // hop's begin is queued offline. Then Redis wakes.
      const pid = Number(/process_id:(\d+)/.exec(await server.cli('INFO', 'server'))?.[1]);
      expect(pid).toBeGreaterThan(0);
      process.kill(pid, 'SIGSTOP');
      let stalled: HopResult;
      let queued: HopResult;
      try {
        stalled = await toAsk('stalled');
        await sleep(SOCKET_TIMEOUT_MS + 600);
        queued = await toAsk('queued');
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await until(connected, 8_000, 'the gateway to reconnect');
      await sleep(300);
      const afterStall = await leases();

      const failed = [paused, stalled, queued].filter((r) => r.body === SCREENS.error);
      t.injected = failed.length === 3;
      const retries = [await toAsk('paused'), await toAsk('stalled'), await toAsk('queued')];
      t.note =
        `lease keys after the pause: ${afterPause.length}, after the stall: ${afterStall.join(' ') || 0}; ` +
        `retries: ${retries.map((r) => `${r.ms} ms ${r.body.slice(0, 3)}`).join(', ')}`;
      expect([...afterPause, ...afterStall], 'leases left by hops that were over').toEqual([]);
      for (const r of retries) {
        expect(r.body).toMatch(ASK);
        expect(r.ms).toBeLessThan(DEADLINE_MS / 2);
      }
      expect(crashLines(gateway.output())).toEqual([]);
      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(gateway.dbPath, t.hops);
    }));
});
