// Languages and subscriptions are records, not cache (issue 14 item 1, issue 16 item 13), end to
// end against the real server process: the embedded default (`npm start`: no REDIS_URL, sessions
// in the process) restarted on the same SQLite file, and a Redis that loses everything (FLUSHALL on
// a private redis-server, never the shared one), keep every phone's language and subscription.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, postHop, startGateway } from '../helpers/gateway-process.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { sessionId } from '../support/build-app.ts';

const MAIN_SW = 'CON Karibu Ask\n1. Uliza swali\n2. Akaunti yangu\n3. Msaada\n4. Kuhusu';
const ACCOUNT_EN_FREE =
  'CON My account\nLeft today: 5\nPlan: Free\nLanguage: English\n1. Change language\n2. Subscribe\n0. Back';

let gateway: GatewayProcess | undefined;
let redis: RedisServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
  await redis?.dispose();
  redis = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A phone dialling one new session per call of `session`, hop after hop (AT's cumulative text). */
function phone(number: string) {
  return async (g: GatewayProcess, texts: string[]): Promise<string[]> => {
    const id = sessionId();
    const screens: string[] = [];
    for (const text of texts) {
      const r = await postHop(`${g.url}/ussd`, { sessionId: id, text, phoneNumber: number });
      expect(r.status).toBe(200);
      screens.push(r.body);
    }
    return screens;
  };
}

/** Chooses Kiswahili, then subscribes (My account → Subscribe → accept), as a user would. */
async function chooseSwahiliAndSubscribe(g: GatewayProcess, dial: ReturnType<typeof phone>) {
  const [, account, , saved] = await dial(g, ['', '2', '2*1', '2*1*2']);
  expect(account).toBe(ACCOUNT_EN_FREE);
  expect(saved).toMatch(/^CON Lugha imehifadhiwa: Kiswahili/);
  const [main, , , subscribed] = await dial(g, ['', '2', '2*2', '2*2*1']);
  expect(main).toBe(MAIN_SW);
  expect(subscribed).toMatch(/^END Asante! Ombi lako la usajili limehifadhiwa/);
}

/** What a new session of the phone shows: the start screen and My account. */
async function remembered(g: GatewayProcess, dial: ReturnType<typeof phone>) {
  const [main, account] = await dial(g, ['', '2']);
  return { main, account: account?.split('\n').slice(2, 4) };
}

const KEPT = {
  main: MAIN_SW,
  account: [expect.stringMatching(/^Mpango: Umesajiliwa hadi /), 'Lugha: Kiswahili'],
};

describe('records survive what the cache does not', () => {
  it('the embedded default restarted: subscription and language kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ussd-durable-'));
    dirs.push(dir);
    const env = { DATABASE_PATH: join(dir, 'ussd.db') }; // no REDIS_URL: sessions in the process
    const dial = phone('+254755000001');
    gateway = await startGateway(env);
    await chooseSwahiliAndSubscribe(gateway, dial);
    expect(await remembered(gateway, dial)).toEqual(KEPT);

    expect(await gateway.stop()).toBe(0);
    gateway = await startGateway(env);
    expect(await remembered(gateway, dial)).toEqual(KEPT);
    // A phone that never chose anything still gets the defaults.
    expect((await phone('+254755000002')(gateway, ['', '2']))[1]).toBe(ACCOUNT_EN_FREE);
  }, 60_000); // two gateway starts and a stop: past 20 s on a loaded 2-core box (land runs)

  it('the embedded default killed (SIGKILL) the moment the user was told: both kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ussd-durable-'));
    dirs.push(dir);
    const env = { DATABASE_PATH: join(dir, 'ussd.db') };
    const dial = phone('+254755000004');
    gateway = await startGateway(env);
    await chooseSwahiliAndSubscribe(gateway, dial);
    // No drain, no flush: what the user was told had to be on disk already.
    const killed = gateway.child;
    await new Promise((resolve) => {
      killed.once('exit', resolve);
      killed.kill('SIGKILL');
    });
    await gateway.stop();
    gateway = await startGateway(env);
    expect(await remembered(gateway, dial)).toEqual(KEPT);
  });

  it('Redis FLUSHALL: subscription and language kept', async () => {
    redis = await startRedisServer();
    const dial = phone('+254755000003');
    gateway = await startGateway({ REDIS_URL: redis.url });
    await chooseSwahiliAndSubscribe(gateway, dial);
    expect(await redis.cli('FLUSHALL')).toBe('OK');
    expect(await redis.keys()).toEqual([]);
    expect(await remembered(gateway, dial)).toEqual(KEPT);
    // The profile went back into the cache: the next session reads it from there.
    expect((await redis.keys()).filter((k) => k.includes(':p:'))).toHaveLength(1);
  });
});
