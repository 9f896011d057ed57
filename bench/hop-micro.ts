// `npm run bench:hop`: the CPU cost of one hop in process, without HTTP or a load generator on the
// same two cores, so a change to the hop path shows in a minute with little noise (issue 7: the
// full bench moves ±15 % from run to run, this moves ±1-2 µs). 50 dialers walk the reference
// menu's account path ('', 2, 2*2, 2*2*1) through createHopHandler, with fresh sessions and phones.
// env: N (hops per pass, 200000), SESSIONS (redis: the Redis at REDIS_URL under a fresh prefix |
// memory), LOG (sqlite: a real file in a temp dir | none), REDIS_URL (redis://127.0.0.1:6379),
// PHONES (0: a new phone per session, so every session's first hop misses the profile cache and
// reads the records store; N: the sessions' phones cycle through N, cached after the first pass).
// The records store is the SQLite file's, through the log's worker thread (its own with LOG=none).
// Prints hops/s and CPU µs per hop for two passes (the first warms the JIT).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { loadJourney } from '../src/engine/load.ts';
import type { StoredSession } from '../src/engine/types.ts';
import { createHopHandler } from '../src/hop/handler.ts';
import type { Answerer } from '../src/inference/types.ts';
import { createSqliteLog } from '../src/log/sqlite.ts';
import type { InteractionLog } from '../src/log/types.ts';
import { silentLogger } from '../src/logger.ts';
import { createSqliteRecords } from '../src/records/sqlite.ts';
import { createMemorySessionStore } from '../src/session/memory.ts';
import { createRedisClient, createRedisSessionStore } from '../src/session/redis.ts';
import { appSettings } from '../src/settings.ts';
import { createSqliteThread } from '../src/sqlite/thread.ts';
import { REFERENCE_MENU } from './lib/servers.ts';

const N = Number(process.env['N'] ?? 200_000);
const SESSIONS = process.env['SESSIONS'] ?? 'redis';
const LOG = process.env['LOG'] ?? 'sqlite';
const PHONES = Number(process.env['PHONES'] ?? 0);
const DIALERS = 50;
const ACCOUNT_PATH = ['', '2', '2*2', '2*2*1'];

const logger = silentLogger();
const config = loadConfig({
  REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  HOP_RATE_PER_MINUTE: '0',
  QUESTION_RATE_PER_MINUTE: '0',
  DAILY_QUESTION_QUOTA: '10000',
  PHONE_HASH_SECRET: 'bench-phone-hash-secret-0123456789',
});
const storeOptions = { prefix: `bench:hop:${Date.now().toString(36)}:`, sessionTtlSeconds: 60 };
const store =
  SESSIONS === 'memory'
    ? createMemorySessionStore<StoredSession>(storeOptions)
    : createRedisSessionStore<StoredSession>(
        createRedisClient(config.REDIS_URL as string, 1000),
        storeOptions,
      );
const dir = mkdtempSync(join(tmpdir(), 'ussd-bench-hop-'));
const dbPath = join(dir, 'log.db');
const sqlite = createSqliteThread({ path: dbPath, logger });
const records = createSqliteRecords({ path: dbPath, thread: sqlite, logger });
const log: InteractionLog =
  LOG === 'none'
    ? {
        recordHop() {},
        recordQuestion() {},
        recordSessionEnd() {},
        recordFeedback() {},
        recordTier() {},
        recordDelivery() {},
        recordSms() {},
        recordSmsReport() {},
        status: () => ({ ok: true, queued: 0, failures: 0, written: 0, dropped: 0, rejected: 0 }),
        flush: async () => {},
        close: async () => {},
      }
    : createSqliteLog({
        path: dbPath,
        thread: sqlite,
        flushMs: config.LOG_FLUSH_MS,
        retentionDays: 0,
        logger,
      });
const journey = loadJourney(REFERENCE_MENU, { dailyQuota: 10_000, price: 'KES 20', days: 30 });
// The account path asks nothing: an answerer that is never called.
const answerer = {} as Answerer;
const settings = appSettings(config);
const handleHop = createHopHandler({ journey, store, answerer, records, log, logger, settings });

let sessions = 0;
let hops = 0;
async function dialer(): Promise<void> {
  while (hops < N) {
    // AT's shape (`ATUid_` + 32 random hex), as the full bench's account load sends.
    const sessionId = `ATUid_${randomBytes(16).toString('hex')}`;
    ++sessions;
    const phoneNumber = `+2547${String(PHONES > 0 ? sessions % PHONES : sessions).padStart(8, '0')}`;
    for (const text of ACCOUNT_PATH) {
      const hop = { sessionId, serviceCode: '*384*123#', phoneNumber, networkCode: '63902', text };
      await handleHop(hop, Date.now(), logger);
      hops++;
    }
  }
}

process.stderr.write(
  `hop-micro: sessions ${SESSIONS}, log ${LOG}, phones ${PHONES || 'new per session'}, ${N} hops per pass, ${DIALERS} dialers\n`,
);
for (const pass of ['warm-up', 'measured']) {
  hops = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const mainCpu = mainThreadCpuMicros();
  await Promise.all(Array.from({ length: DIALERS }, dialer));
  const used = process.cpuUsage(cpu);
  const perSecond = Math.round((hops / (performance.now() - started)) * 1000);
  const microseconds = ((used.user + used.system) / hops).toFixed(1);
  const onMain = ((mainThreadCpuMicros() - mainCpu) / hops).toFixed(1);
  process.stdout.write(
    `${pass}: ${perSecond} hops/s, ${microseconds} µs CPU per hop (${onMain} on the main thread)\n`,
  );
}
await log.close();
await records.close();
await sqlite.close();
await store.close();
rmSync(dir, { recursive: true, force: true });

/**
 * The main thread's CPU (µs) from /proc (utime + stime of the task whose id is the process's):
 * process.cpuUsage() counts every thread, the SQLite worker's and V8's helpers included.
 */
function mainThreadCpuMicros(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of stat)
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}
