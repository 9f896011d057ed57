// Redis Sentinel failover under load (issue 19 §3, tests): a real master, replica and three real
// redis-sentinel processes; the real gateway process finds the master through them. Phones dial
// without pause while the master is SIGKILLed and the sentinels promote the replica. Every reply
// is a valid screen in time (polite ENDs while there is no master), service comes back by itself
// within a few seconds, a subscriber is still a subscriber (the records store, not Redis, is the
// truth), and questions queued or running at the kill are answered on the next dial.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPhone } from '../../src/phone.ts';
import { keyPart } from '../../src/session/redis.ts';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { type SentinelGroup, startSentinelGroup } from '../helpers/redis-sentinel.ts';
import { crashLines, type FaultGateway, queryRows, settledRows, startFaultGateway } from './fault-gateway.ts';
import { createDialer, fault, type HopResult, SCREENS, sleep, startingWith, until } from './support.ts';

const SECRET = 'test-secret-0123456789abcdef'; // gateway-process.ts's PHONE_HASH_SECRET
const PREFIX = 'ussd:';
const ANSWER = 'Malaria is spread by mosquitoes that bite at night: sleep under a treated net.';
const MAIN = startingWith(SCREENS.main);
/** Service is back within this of the kill (Sentinel's down-after 1 s, its election, a reconnect). */
const RECOVERY_TARGET_MS = 10_000;

let group: SentinelGroup | undefined;
let gw: FaultGateway | undefined;
let ollama: FakeOllama | undefined;
afterEach(async () => {
  await gw?.dispose();
  await group?.dispose();
  await ollama?.close();
  gw = group = ollama = undefined;
});

describe('Redis Sentinel failover', () => {
  it(
    'master SIGKILLed under load: polite ENDs for a few seconds, then service by itself; no subscription or queued question lost',
    () =>
      fault('Redis master SIGKILLed, Sentinel promotes the replica', async (t) => {
        group = await startSentinelGroup({ downAfterMs: 1_000 });
        // One model slot, ~2.3 s an answer (longer than a hop): of four questions, one runs, three wait.
        ollama = await startFakeOllama({ answer: ANSWER, firstTokenMs: 200, tokenMs: 150 });
        gw = await startFaultGateway({
          ...group.env,
          OLLAMA_HOST: ollama.url,
          OLLAMA_MAX_CONCURRENT: '1',
          DAILY_QUESTION_QUOTA: '1',
          HOP_RATE_PER_MINUTE: '0',
          QUESTION_RATE_PER_MINUTE: '0',
          ANSWER_CACHE_TTL_SECONDS: '0',
          ANSWER_TIMEOUT_MS: '10000',
        });
        const hop = createDialer(gw.url, t);
        const run = randomBytes(3).toString('hex');
        const oldMaster = await group.masterPort();

        // A subscriber (intent: the offer accepted), and a walk through a session, before the kill.
        const subscriber = '+254788000001';
        const sub = (text: string) => hop({ sessionId: `ATUid_sub${run}`, phoneNumber: subscriber, text });
        for (const text of ['', '2', '2*2']) await sub(text);
        expect((await sub('2*2*1')).body).toMatch(/^END Thank you! Your subscription request is recorded/);

        // Four questions from four phones: one generating, three waiting in the queue at the kill.
        const askers = [0, 1, 2, 3].map((i) => ({
          phoneNumber: `+25478810000${i}`,
          question: `sentinel ${run} question ${i}`,
        }));
        await Promise.all(
          askers.map(async (a, i) => {
            const s = (text: string) =>
              hop({ sessionId: `ATUid_q${run}${i}`, phoneNumber: a.phoneNumber, text });
            await s('');
            await s('1');
            // Not answered in the session: "still thinking" (the asker then hangs up).
            expect((await s(`1*${a.question}`)).body).not.toMatch(/Malaria/);
          }),
        );
        await until(() => ollama?.generations().length, 5_000, 'the first generation');
        const firstStarted = Date.now();

        // Dialers that never stop: each loop a new session's first hop, every reply timed and checked.
        const replies: HopResult[] = [];
        let dialing = true;
        const dialers = [0, 1, 2].map(async (d) => {
          for (let n = 0; dialing; n++) {
            const r = await hop({
              sessionId: `ATUid_d${run}${d}x${n}`,
              phoneNumber: `+25478820000${d}`,
              text: '',
            });
            replies.push(r);
            await sleep(50);
          }
        });
        // The kill lands ~0.3 s before the first answer is done: it ends while there is no master.
        await sleep(Math.max(0, firstStarted + 1_200 - Date.now()));
        const killedAt = Date.now();
        await (await group.master()).kill();
        t.injected = true;
        await until(
          async () => (await group?.masterPort()) !== oldMaster,
          20_000,
          'the sentinels to promote',
        );
        const promotedMs = Date.now() - killedAt;
        // Service is back once a dial works again; keep dialling a little after, to see it stay.
        await until(
          () => replies.some((r) => r.at > killedAt && MAIN.test(r.body)),
          RECOVERY_TARGET_MS,
          'service',
        );
        await sleep(2_000);
        dialing = false;
        await Promise.all(dialers);

        const after = replies.filter((r) => r.at > killedAt);
        const failed = after.filter((r) => !MAIN.test(r.body));
        // Every reply that is not the menu is the funnel's polite END, never anything else.
        for (const r of failed) expect(r.body).toBe(SCREENS.error);
        const lastFailure = Math.max(killedAt, ...failed.map((r) => r.at));
        const outageMs = lastFailure - killedAt;
        expect(outageMs).toBeLessThan(RECOVERY_TARGET_MS);
        expect(after.filter((r) => r.at > lastFailure).length).toBeGreaterThan(10);

        // The subscriber, even if the new master never got their cached profile (deleted here, as an
        // unreplicated write would be): still subscribed, read back from the records store.
        const profileKey = `${PREFIX}p:${keyPart(hashPhone(subscriber, SECRET))}`;
        const promoted = await group.master();
        await promoted.cli('DEL', profileKey);
        const account = async () => {
          const s = (text: string) => hop({ sessionId: `ATUid_sub2${run}`, phoneNumber: subscriber, text });
          await s('');
          return (await s('2')).body;
        };
        expect(await account()).toMatch(/Plan: Subscribed until/);

        // Every question asked before the kill is answered: the next dial offers it, '1' reads it.
        await until(() => (ollama?.generations().length ?? 0) >= askers.length, 30_000, 'four generations');
        let answered = 0;
        for (const [i, a] of askers.entries()) {
          // A new session per dial: the same session's first hop again is a resend, replayed as it was.
          let dials = 0;
          let sessionId = '';
          let last = '';
          const s = (text: string) => hop({ sessionId, phoneNumber: a.phoneNumber, text });
          const first = await until(
            async () => {
              sessionId = `ATUid_r${run}${i}x${dials++}`;
              const r = await s('');
              last = r.body;
              return r.body.startsWith('CON You have an answer to') ? r : null;
            },
            20_000,
            `the answer to question ${i} on the next dial`,
          ).catch(async (e: Error) => {
            const qs = queryRows(gw?.dbPath ?? '', 'SELECT question, outcome, latency_ms FROM questions');
            const key = `${PREFIX}pa:${keyPart(hashPhone(a.phoneNumber, SECRET))}`;
            const pa = await group?.master().then((m) => m.cli('GET', key));
            throw new Error(
              `${e.message}; last screen ${JSON.stringify(last)}\n${JSON.stringify(qs)}\n${pa}`,
            );
          });
          expect(first.body).toContain(a.question);
          expect((await s('1')).body).toMatch(/^CON Malaria is spread by mosquitoes/);
          answered++;
        }
        expect(crashLines(gw.output())).toEqual([]);

        t.rowsExpected = t.hops;
        t.rowsFound = await settledRows(gw.dbPath, t.hops);
        const logged = queryRows<{ n: number }>(
          gw.dbPath,
          "SELECT count(*) AS n FROM questions WHERE question LIKE ? AND outcome = 'ok'",
          `sentinel ${run}%`,
        )[0]?.n;
        expect(logged).toBe(askers.length);
        // ...and each generated once: one done during the outage is handed on when Redis is back,
        // not generated again by the job's rerun (worker.ts whileRedisAway).
        const generations = askers.map(
          (a) => ollama?.generations().filter((g) => JSON.stringify(g.body).includes(a.question)).length ?? 0,
        );
        expect(generations).toEqual([1, 1, 1, 1]);
        t.note =
          `outage ${(outageMs / 1000).toFixed(1)} s after the SIGKILL (sentinels promoted in ${(promotedMs / 1000).toFixed(1)} s); ` +
          `${failed.length} polite ENDs of ${after.length} hops since the kill; ` +
          `questions answered ${answered}/${askers.length}; subscriber kept`;
        process.stdout.write(`[sentinel failover] ${t.note}\n`);
      }),
    120_000,
  );

  it(
    'a failover with the old master still up (SENTINEL FAILOVER): the gateway leaves it, no write lands on it',
    () =>
      fault('Sentinel fails over, the old master stays up as a replica', async (t) => {
        group = await startSentinelGroup({ downAfterMs: 1_000 });
        gw = await startFaultGateway({ ...group.env, HOP_RATE_PER_MINUTE: '0' });
        const hop = createDialer(gw.url, t);
        const run = randomBytes(3).toString('hex');
        const old = await group.master();
        expect((await hop({ sessionId: `ATUid_f${run}`, text: '' })).body).toMatch(MAIN);

        const replies: HopResult[] = [];
        let dialing = true;
        const dialers = [0, 1].map(async (d) => {
          for (let n = 0; dialing; n++) {
            replies.push(
              await hop({ sessionId: `ATUid_f${run}${d}x${n}`, phoneNumber: `+25478830000${d}`, text: '' }),
            );
            await sleep(50);
          }
        });
        await sleep(500);
        const failedOverAt = Date.now();
        expect(await group.sentinelCli(0, 'SENTINEL', 'FAILOVER', group.name)).toBe('OK');
        await until(async () => (await group?.masterPort()) !== old.port, 20_000, 'the failover');
        // The old master, still running, is made a replica of the new one.
        await until(
          async () => (await old.cli('ROLE')).startsWith('slave'),
          20_000,
          'the old master demoted',
        );
        t.injected = true;
        await sleep(2_000);
        dialing = false;
        await Promise.all(dialers);

        const after = replies.filter((r) => r.at > failedOverAt);
        const failed = after.filter((r) => !MAIN.test(r.body));
        for (const r of failed) expect(r.body).toBe(SCREENS.error);
        const lastFailure = Math.max(failedOverAt, ...failed.map((r) => r.at));
        expect(lastFailure - failedOverAt).toBeLessThan(RECOVERY_TARGET_MS);
        // Since the demotion every hop has worked, and none of the gateway's connections stayed on
        // the old master, whose writes would fail READONLY (it drops its clients when demoted, and
        // connection.ts leaves on +switch-master or a READONLY reply too).
        expect(after.filter((r) => r.at > lastFailure).length).toBeGreaterThan(10);
        const ours = async () =>
          (await old.cli('CLIENT', 'LIST'))
            .split('\n')
            .filter((l) => !/ name=sentinel-/.test(l) && !/ cmd=client\|list/.test(l));
        await until(
          async () => (await ours()).length === 0,
          5_000,
          'no gateway connection on the old master',
        ).catch(async (e: Error) => {
          throw new Error(`${e.message}: ${(await ours()).join('\n')}`);
        });
        expect((await hop({ sessionId: `ATUid_f${run}late`, text: '' })).body).toMatch(MAIN);
        expect(crashLines(gw.output())).toEqual([]);

        t.rowsExpected = t.hops;
        t.rowsFound = await settledRows(gw.dbPath, t.hops);
        t.note = `${failed.length} polite ENDs of ${after.length} hops, the last ${((lastFailure - failedOverAt) / 1000).toFixed(1)} s after SENTINEL FAILOVER`;
        process.stdout.write(`[sentinel manual failover] ${t.note}\n`);
      }),
    90_000,
  );
});
