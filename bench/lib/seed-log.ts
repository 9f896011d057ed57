// A log file of SESSIONS sessions for `npm run bench:report` (issue 17: "loads fast on a log of a
// million sessions"): the real schema (log/migrations.ts), rows shaped as the gateway writes them,
// spread over SPAN_DAYS ending now, from a seeded PRNG so every run reads the same file. The hops
// table stays empty: the report never reads it. Kept in the temp dir and reused while its
// parameters and the schema are the same (seeding a million takes a while on 2 cores).
import { existsSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { migrate, SCHEMA_VERSION } from '../../src/log/migrations.ts';

export interface SeedOptions {
  sessions: number;
  phones: number;
  spanDays: number;
  now: number;
}

export interface SeedCounts {
  sessions: number;
  questions: number;
  feedback: number;
  tierEvents: number;
  deliveries: number;
}

const DAY_MS = 86_400_000;
const SCREENS = ['main', 'answer', 'answer-more', 'ask', 'account', 'offer', 'faq', 'language'];
const TOPICS = [
  'plant maize',
  'make ors',
  'prevent malaria',
  'treat diarrhoea',
  'price of fertilizer',
  'store beans',
  'feed chickens',
  'fever in a child',
  'dairy cow feed',
  'tomato blight',
];
const FORMS = [
  'How do I {t}?',
  'how do i {t}',
  'What about {t}',
  'when to {t}',
  '{t}',
  'Please tell me how to {t}',
  'HOW DO I {T}',
];
const FAILURES = ['down', 'timeout', 'busy', 'empty', 'error'];

/** The seeded file's path: made when missing (or of another schema), else reused. */
export function seededLog(o: SeedOptions, log: (s: string) => void): { path: string; reused: boolean } {
  // Keyed by the day too: the rows are placed relative to `now`, and the windows end today.
  const day = Math.floor(o.now / DAY_MS);
  const path = join(
    tmpdir(),
    `ussd-bench-report-v${SCHEMA_VERSION}-${o.sessions}-${o.phones}-${o.spanDays}-${day}.db`,
  );
  if (existsSync(path)) return { path, reused: true };
  const partial = `${path}.partial`;
  rmSync(partial, { force: true });
  const started = Date.now();
  const counts = seed(partial, o);
  renameSync(partial, path);
  log(
    `seeded ${path}: ${counts.sessions} sessions, ${counts.questions} questions, ${counts.feedback} ratings, ${counts.tierEvents} tier events, ${counts.deliveries} deliveries in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return { path, reused: false };
}

function seed(path: string, o: SeedOptions): SeedCounts {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  migrate(db);
  const rnd = mulberry32(17);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const counts: SeedCounts = { sessions: 0, questions: 0, feedback: 0, tierEvents: 0, deliveries: 0 };
  const insSession = db.prepare(
    `INSERT INTO sessions (session_id, first_at, last_at, phone_hash, service_code, network_code, hops, last_screen, lang)
     VALUES (?, ?, ?, ?, '*384*123#', '63902', ?, ?, 'en')`,
  );
  const insQuestion = db.prepare(
    `INSERT INTO questions (id, at, session_id, phone_hash, channel, lang, model, question, prompt, answer,
       tokens_in, tokens_out, ttft_ms, latency_ms, deadline_cut, cache_hit, source, outcome, passages, queue_ms)
     VALUES (?, ?, ?, ?, 'ussd', 'en', 'llama3.2:3b', ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insFeedback = db.prepare(
    'INSERT INTO feedback (at, session_id, phone_hash, question_id, helpful) VALUES (?, ?, ?, ?, ?)',
  );
  const insTier = db.prepare(
    `INSERT INTO tier_events (at, session_id, phone_hash, event, price, days, mode, via, amount, reason)
     VALUES (?, ?, ?, ?, 'KES 20', 30, 'mpesa', ?, ?, ?)`,
  );
  const insDelivery = db.prepare(
    'INSERT INTO deliveries (question_id, at, phone_hash, how, wait_ms) VALUES (?, ?, ?, ?, ?)',
  );
  // Sessions in time order, as the gateway appends them: a phone dials again and again, more at
  // first; each phone's first session comes first.
  const start = o.now - o.spanDays * DAY_MS;
  const step = (o.spanDays * DAY_MS) / o.sessions;
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const at = Math.floor(start + i * step + rnd() * step);
      const phone = `p${Math.floor(o.phones * rnd() ** 1.6)}`;
      const sid = `ATUid_${i.toString(16).padStart(10, '0')}`;
      const hops = 1 + Math.floor(rnd() ** 2 * 12);
      insSession.run(sid, at, at + hops * 8000, phone, hops, pick(SCREENS));
      counts.sessions++;
      if (rnd() < 0.4) question(sid, phone, at + 5000, i);
      if (rnd() < 0.04) tier(sid, phone, at + 20_000);
    }
  });
  const question = (sid: string, phone: string, at: number, i: number) => {
    const id = `q${i.toString(36)}`;
    const r = rnd();
    const failure = r < 0.06 ? pick(FAILURES) : null;
    const source = failure ? 'model' : r < 0.2 ? 'cache' : r < 0.35 ? 'faq' : 'model';
    const fromModel = source === 'model';
    const latency = fromModel ? 800 + Math.floor(rnd() * 2500) : Math.floor(rnd() * 4);
    const topic = pick(TOPICS);
    const text = pick(FORMS).replace('{t}', topic).replace('{T}', topic.toUpperCase());
    const passages = fromModel && !failure ? (rnd() < 0.3 ? '["en/malaria.md#Nets"]' : '[]') : null;
    insQuestion.run(
      ...[id, at, sid, phone, text, failure ? '' : 'An answer.', fromModel ? 60 : 0, fromModel ? 40 : 0],
      ...[
        fromModel && !failure ? 300 + Math.floor(rnd() * 500) : null,
        failure === 'timeout' ? 30_000 : latency,
      ],
      ...[
        0,
        source === 'cache' ? 1 : 0,
        source,
        failure ?? 'ok',
        passages,
        fromModel ? Math.floor(rnd() * 200) : null,
      ],
    );
    counts.questions++;
    if (!failure) {
      const how = rnd() < 0.9 ? 'in-session' : rnd() < 0.7 ? 'next-dial' : 'sms';
      insDelivery.run(id, at + latency, phone, how, latency);
      counts.deliveries++;
      if (rnd() < 0.3) {
        insFeedback.run(at + latency + 10_000, sid, phone, id, rnd() < 0.8 ? 1 : 0);
        counts.feedback++;
      }
    }
  };
  const tier = (sid: string, phone: string, at: number) => {
    const ev = (
      event: string,
      t: number,
      via: string | null,
      amount: number | null,
      reason: string | null,
    ) => {
      insTier.run(t, sid, phone, event, via, amount, reason);
      counts.tierEvents++;
    };
    ev('quota-hit', at, null, null, null);
    ev('offer', at, rnd() < 0.7 ? 'quota' : 'menu', null, null);
    if (rnd() < 0.6) return ev('decline', at + 2000, null, null, null);
    ev('accept', at + 2000, null, null, null);
    ev('requested', at + 2500, null, null, null);
    const r = rnd();
    if (r < 0.6) ev('paid', at + 30_000, null, 20, null);
    else if (r < 0.9) ev('failed', at + 30_000, null, null, rnd() < 0.5 ? 'cancelled' : 'wrong-pin');
    else ev('expired', at + 300_000, null, null, null);
  };
  for (let from = 0; from < o.sessions; from += 50_000) batch(from, Math.min(o.sessions, from + 50_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = DELETE');
  db.close();
  return counts;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
