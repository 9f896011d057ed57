// `npm run bench` (issue 7): the gateway side by side with the most-used peer (ussd-menu-builder +
// express + Redis) and the bare Hono ceiling, in one run, on the same reference menu and the same
// load (../shared/bench-peer/load.mjs: dialers walking whole sessions), then the ask scenario.
// Starts what it needs (a private Redis, a fake Ollama, a SQLite log in a temp dir), loopback only,
// bounded in time. env: DURATION (10 s), CONNECTIONS (50), WARMUP (2 s), ROUNDS (2), ASKERS (200),
// LOADS (mixed,account: load.mjs's two session shapes, then the account path alone), INTERLEAVE
// (1: the account load's sessions open at once per connection, each hop of one session followed by
// those of the others, as real users' reading and typing spaces their hops), PHONES (0: a new phone
// per account session; N: they cycle through N), HOP_DEADLINE_MS (5000), LOG_LEVEL (warn), SERVERS
// (limit,peer,gateway), ASK (1), PROFILE (0: 1 writes a --cpu-prof of the gateway's first round and
// prints its top frames), GATEWAY_CMD, GATEWAY_ENV ("LOG_FLUSH_MS=50 ANSWER_MAX_WAIT_MINUTES=10": more settings),
// BENCH_PEER_DIR, BENCH_ENFORCE (1: exit 1 when a speed target is missed, not only correctness).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadJourney } from '../src/engine/load.ts';
import { t } from '../src/engine/render.ts';
import { startFakeAtSms } from '../test/helpers/fake-at-sms.ts';
import { plan, startFakeOllama } from '../test/helpers/fake-ollama.ts';
import { freePort, PROJECT_ROOT } from '../test/helpers/gateway-process.ts';
import { ANSWER_60, loneAsker, peakConcurrency, runAskScenario, slotsBusy } from './lib/ask-scenario.ts';
import { formatSummary, newestProfile, summariseProfile } from './lib/cpu-profile.ts';
import { preparePeerCopy } from './lib/peer-copy.ts';
import { redisPing, runCommand, runToEnd, sleep, startRedis, startServer } from './lib/procs.ts';
import { type CheckResult, judge, type LoadKind, printAsk, printMenuTable, type Row } from './lib/report.ts';
import {
  countHopRows,
  gatewaySpec,
  hasBuild,
  limitSpec,
  peerSpec,
  REFERENCE_MENU,
  type ServerSpec,
  startSpec,
} from './lib/servers.ts';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`[bench] ${name} must be a number`);
  return v;
};
const DURATION = Math.min(num('DURATION', 10), 120);
const CONNECTIONS = Math.min(num('CONNECTIONS', 50), 1000);
const WARMUP = Math.min(num('WARMUP', 2), 30);
const ROUNDS = Math.max(1, Math.min(num('ROUNDS', 2), 10));
const ASKERS = Math.min(num('ASKERS', 200), 2000);
const HOP_DEADLINE_MS = num('HOP_DEADLINE_MS', 5000);
const LOG_LEVEL = process.env['LOG_LEVEL'] ?? 'warn';
const SERVERS = (process.env['SERVERS'] ?? 'limit,peer,gateway').split(',').map((s) => s.trim());
const LOADS = (process.env['LOADS'] ?? 'mixed,account')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is LoadKind => s === 'mixed' || s === 'account');
const INTERLEAVE = Math.max(1, Math.min(num('INTERLEAVE', 1), 10_000));
const PHONES = num('PHONES', 0);
const PROFILE = process.env['PROFILE'] === '1';
const ASK = process.env['ASK'] !== '0';
/** The lone asker's first page as measured on the code before issue 13 (ms), to compare with. */
const BASELINE_LONE_MS = process.env['BASELINE_LONE_MS'] ? num('BASELINE_LONE_MS', 0) : null;
const ASK_SPREAD_MS = num('ASK_SPREAD_MS', 10_000);
const PEER_SOURCE = resolve(process.env['BENCH_PEER_DIR'] ?? join(PROJECT_ROOT, '../shared/bench-peer'));

const say = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'ussd-bench-'));
  const runId = Date.now().toString(36);
  say(
    `bench: ${DURATION} s x ${ROUNDS} rounds at ${CONNECTIONS} connections${
      INTERLEAVE > 1 ? `, ${CONNECTIONS * INTERLEAVE} account sessions open at once` : ''
    }; logs in ${work}`,
  );
  say(
    `machine: ${cpus().length} cores, node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const peerDir = await preparePeerCopy(PEER_SOURCE, say);
  if (SERVERS.includes('gateway') && hasBuild() && !process.env['GATEWAY_CMD']) {
    await runCommand(['npm', 'run', 'build', '--silent'], { cwd: PROJECT_ROOT, timeoutMs: 120_000 });
    const start = startSpec();
    const env = Object.entries(start.env).map(([k, v]) => `${k}=${v} `);
    say(`gateway: npm run build, then ${env.join('')}node ${start.command.slice(1).join(' ')}`);
  }

  const redisPort = await freePort();
  const privateRedis = await startRedis(redisPort, join(work, 'redis.log'));
  let redisUrl = privateRedis?.url;
  if (!redisUrl) {
    if (!(await redisPing(6379))) throw new Error('[bench] no redis-server to start and none on 6379');
    redisUrl = 'redis://127.0.0.1:6379';
  }
  say(`redis: ${redisUrl}${privateRedis ? ' (private)' : ' (shared, own key prefix)'}`);
  const instant = await startFakeOllama({}); // answers at once: the menu load's questions
  const stops: (() => Promise<void>)[] = [() => instant.close()];
  if (privateRedis) stops.push(() => privateRedis.stop());

  try {
    const rows: Row[] = [];
    const checks: CheckResult[] = [];
    let profile: { file: string | null; skipMs: number } | null = null;
    for (let round = 1; round <= ROUNDS; round++) {
      // The order turns each round, so a drift in machine load does not always favour one server.
      const order = SERVERS.map((_, i) => SERVERS[(i + round - 1) % SERVERS.length] ?? '');
      for (const name of order) {
        const profileDir = PROFILE && round === 1 && name === 'gateway' ? join(work, 'profile') : null;
        const dbPath = join(work, `gateway-${round}.db`);
        const spec = specFor(name, {
          peerDir,
          redisUrl,
          runId,
          round,
          dbPath,
          ollamaUrl: instant.url,
          profileDir,
        });
        const measured = await measure(spec, round, work, peerDir, checks);
        const logRows = name === 'gateway' ? countHopRows(dbPath) : undefined;
        for (const row of measured) rows.push(logRows === undefined ? row : { ...row, logRows });
        if (profileDir) profile = { file: newestProfile(profileDir), skipMs: measured[0]?.startUpMs ?? 0 };
      }
    }
    printMenuTable(rows, { duration: DURATION, connections: CONNECTIONS, warmup: WARMUP });

    let ask = null;
    if (ASK && SERVERS.includes('gateway')) ask = await askScenario(redisUrl, runId, work);
    if (ask) printAsk(ask, HOP_DEADLINE_MS, BASELINE_LONE_MS);
    if (profile?.file) {
      const summary = summariseProfile(profile.file, PROJECT_ROOT, 25, profile.skipMs);
      console.log(
        `\ngateway CPU profile, round 1, start-up left out:\n${formatSummary(summary)}\n(${profile.file})`,
      );
    }

    const verdict = judge(rows, checks, ask, HOP_DEADLINE_MS, BASELINE_LONE_MS);
    console.log(`\n${verdict.lines.join('\n')}`);
    writeFileSync(join(work, 'results.json'), JSON.stringify({ rows, checks, ask }, null, 2));
    console.log(
      `\nmachine load average after the run: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    if (!verdict.correct) return 1;
    return process.env['BENCH_ENFORCE'] === '1' && !verdict.fast ? 1 : 0;
  } finally {
    for (const stop of stops) await stop().catch(() => {});
  }
}

function specFor(
  name: string,
  o: {
    peerDir: string;
    redisUrl: string;
    runId: string;
    round: number;
    dbPath: string;
    ollamaUrl: string;
    profileDir: string | null;
  },
): ServerSpec {
  if (name === 'limit') return limitSpec(o.peerDir);
  if (name === 'peer') return peerSpec(o.peerDir, o.redisUrl);
  if (name !== 'gateway') throw new Error(`[bench] unknown server '${name}' (limit, peer, gateway)`);
  if (o.profileDir) mkdirSync(o.profileDir, { recursive: true });
  return gatewaySpec({
    redisUrl: o.redisUrl,
    redisPrefix: `bench${o.runId}r${o.round}:`,
    databasePath: o.dbPath,
    ollamaUrl: o.ollamaUrl,
    logLevel: LOG_LEVEL,
    hopDeadlineMs: HOP_DEADLINE_MS,
    nodeFlags: o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [],
    command: process.env['GATEWAY_CMD'],
    extraEnv: Object.fromEntries(
      (process.env['GATEWAY_ENV'] ?? '')
        .split(/\s+/)
        .filter((kv) => kv.includes('='))
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    ),
  });
}

/**
 * One server, one round: start, check the 22 replies, then each load in turn (load.mjs's mixed
 * sessions, then the account path alone), reading its CPU and peak RSS after each; stop.
 */
async function measure(
  spec: ServerSpec,
  round: number,
  work: string,
  peerDir: string,
  checks: CheckResult[],
): Promise<Row[]> {
  const port = await freePort();
  say(`== ${spec.name} (round ${round}) on port ${port}`);
  const spawnedAt = Date.now();
  const server = await startServer({ ...spec, port, logFile: join(work, `${spec.name}-${round}.log`) });
  try {
    const check = await runCheck(server.url, peerDir);
    checks.push({ server: spec.name, round, ...check });
    const startUpMs = Date.now() - spawnedAt;
    const rows: Row[] = [];
    // The ceiling answers 'END ok' to anything: one load is enough for it.
    for (const kind of spec.name === 'limit' ? LOADS.slice(0, 1) : LOADS) {
      await sleep(200);
      const cpuBefore = server.cpuSeconds();
      const args = [
        '--url',
        server.url,
        '--duration',
        String(DURATION),
        '--connections',
        String(CONNECTIONS),
      ];
      const command =
        kind === 'mixed'
          ? [process.execPath, 'load.mjs', ...args, '--json']
          : [
              process.execPath,
              '--import',
              'tsx',
              join(PROJECT_ROOT, 'bench/lib/account-load.ts'),
              ...args,
              ...['--interleave', String(INTERLEAVE), '--phones', String(PHONES)],
            ];
      const out = await runCommand([...command, '--warmup', String(WARMUP)], {
        cwd: kind === 'mixed' ? peerDir : PROJECT_ROOT,
        timeoutMs: (DURATION + WARMUP + 60) * 1000,
      });
      rows.push({
        server: spec.name,
        kind,
        round,
        load: JSON.parse(out.trim().split('\n').at(-1) ?? '{}'),
        rssMb: server.peakRssMb(),
        cpuSeconds: server.cpuSeconds() - cpuBefore,
        wallSeconds: DURATION + WARMUP,
        startUpMs,
      });
    }
    return rows;
  } finally {
    await server.stop();
  }
}

async function runCheck(url: string, peerDir: string): Promise<Omit<CheckResult, 'server' | 'round'>> {
  // check.mjs exits 1 when a case fails; its report on stdout is what we want either way.
  const { stdout: out } = await runToEnd([process.execPath, 'check.mjs', '--url', url], {
    cwd: peerDir,
    timeoutMs: 60_000,
  });
  const summary = /(\d+) passed, (\d+) failed/.exec(out);
  const failedTexts = [...out.matchAll(/^FAIL text=(".*") status=/gm)].map((m) => JSON.parse(m[1] ?? '""'));
  return { passed: Number(summary?.[1] ?? 0), failed: Number(summary?.[2] ?? 22), failedTexts };
}

/**
 * The ask scenario (issue 13): a lone asker's first page, then 200 askers within 10 s, against a
 * fake Ollama of 30 tokens/s with the first token after 400 ms and ~60-token answers, 2 slots, and
 * SMS on against the fake AT SMS server.
 */
async function askScenario(redisUrl: string, runId: string, work: string) {
  const firstTokenMs = 400;
  const tokenMs = 1000 / 30;
  const slots = 2;
  const fake = await startFakeOllama({ firstTokenMs, tokenMs, answer: ANSWER_60 });
  const at = await startFakeAtSms();
  try {
    const spec = specFor('gateway', {
      peerDir: '',
      redisUrl,
      runId,
      round: 0,
      dbPath: join(work, 'gateway-ask.db'),
      ollamaUrl: fake.url,
      profileDir: null,
    });
    spec.env = {
      ...spec.env,
      OLLAMA_MAX_CONCURRENT: String(slots),
      AT_USERNAME: at.username,
      AT_API_KEY: at.apiKey,
      AT_API_URL: at.url,
    };
    const port = await freePort();
    say(
      `== ask scenario: ${ASKERS} askers within ${ASK_SPREAD_MS} ms, fake Ollama 400 ms + 30 tokens/s, port ${port}`,
    );
    const server = await startServer({ ...spec, port, logFile: join(work, 'gateway-ask.log') });
    try {
      const journey = loadJourney(REFERENCE_MENU, { dailyQuota: 10_000, price: 'KES 20', days: 30 });
      const en = (text: Record<string, string>) => t(text, 'en');
      const texts = {
        thinking: en(journey.texts.thinking),
        busy: en(journey.texts.failure.busy),
        smsLater: en(journey.texts.smsLater).split('{')[0] ?? '',
        dialLater: en(journey.texts.dialLater).split('{')[0] ?? '',
        pageFooters: [
          en(journey.texts.answerMore),
          en(journey.texts.answerLast),
          en(journey.texts.answerLastSms),
        ],
      };
      const loneMs = await loneAsker(server.url, 5);
      const before = fake.generations().length;
      const figures = await runAskScenario({
        url: server.url,
        askers: ASKERS,
        spreadMs: ASK_SPREAD_MS,
        deadlineMs: HOP_DEADLINE_MS,
        texts,
        at,
      });
      const gens = fake
        .generations()
        .slice(before)
        .filter((g) => g.body !== null);
      const tokens = plan(ANSWER_60, {}).tokens.length;
      const answerMs = firstTokenMs + tokens * tokenMs;
      return {
        figures,
        fake: {
          generations: gens.length,
          peakConcurrent: peakConcurrency(gens),
          slotsBusy: slotsBusy(gens, slots),
        },
        idealS: (ASKERS * answerMs) / slots / 1000,
        loneMs,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await fake.close();
    await at.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`bench failed: ${(error as Error)?.stack ?? String(error)}`);
    process.exit(2);
  },
);
