// The SQLite file's schema, the interaction log's tables and the records store's (src/records/)
// alike: numbered migrations applied in order on open (on the SQLite worker thread), each in its
// own transaction together with the bump of PRAGMA user_version, so a crash leaves the file at a
// whole version. Append new migrations; never edit one that has shipped. Times are epoch ms
// integers. This file must not hold queries for the report or the writer: only the schema and its
// upgrade. The log's purge (statements.ts) deletes from the log's tables only, never records.
import type { Database } from 'better-sqlite3';
import { InteractionLogError } from '../errors.ts';
import { PAYMENTS_TABLE_SQL } from '../records/payment-sql.ts';

export interface Migration {
  version: number;
  name: string;
  /** SQLite's DDL; PostgreSQL runs it as postgresDdl() translates it, unless `postgres` is given. */
  sql: string;
  /** PostgreSQL's own DDL, where the two differ more than postgresDdl() knows. */
  postgres?: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions and hops',
    // One sessions row per AT sessionId, upserted by every hop and by the end-of-session
    // notification (which may come duplicated, late, or for a session we never saw: at-protocol §4).
    sql: `
      CREATE TABLE sessions (
        session_id        TEXT PRIMARY KEY,
        first_at          INTEGER NOT NULL,
        last_at           INTEGER NOT NULL,
        phone_hash        TEXT NOT NULL,
        phone             TEXT,
        service_code      TEXT NOT NULL,
        network_code      TEXT,
        hops              INTEGER NOT NULL DEFAULT 0,
        last_screen       TEXT,
        lang              TEXT,
        status            TEXT,
        cost_raw          TEXT,
        cost_amount       REAL,
        cost_currency     TEXT,
        duration_ms       INTEGER,
        hops_count        INTEGER,
        input             TEXT,
        last_app_response TEXT,
        error_message     TEXT,
        end_date          TEXT,
        ended_at          INTEGER,
        notifications     INTEGER NOT NULL DEFAULT 0,
        raw               TEXT
      ) STRICT;
      CREATE INDEX sessions_first_at ON sessions (first_at);
      CREATE INDEX sessions_last_at ON sessions (last_at);
      CREATE INDEX sessions_phone_first_at ON sessions (phone_hash, first_at);

      CREATE TABLE hops (
        id          INTEGER PRIMARY KEY,
        at          INTEGER NOT NULL,
        session_id  TEXT NOT NULL,
        phone_hash  TEXT NOT NULL,
        input       TEXT,
        text        TEXT NOT NULL,
        screen      TEXT NOT NULL,
        lang        TEXT NOT NULL,
        reply_kind  TEXT NOT NULL,
        reply       TEXT NOT NULL,
        latency_ms  INTEGER NOT NULL,
        outcome     TEXT NOT NULL
      ) STRICT;
      CREATE INDEX hops_at ON hops (at);
      CREATE INDEX hops_session ON hops (session_id);
    `,
  },
  {
    version: 2,
    name: 'questions and feedback',
    sql: `
      CREATE TABLE questions (
        id            TEXT PRIMARY KEY,
        at            INTEGER NOT NULL,
        session_id    TEXT NOT NULL,
        phone_hash    TEXT NOT NULL,
        channel       TEXT NOT NULL,
        lang          TEXT NOT NULL,
        model         TEXT NOT NULL,
        question      TEXT NOT NULL,
        prompt        TEXT NOT NULL,
        answer        TEXT NOT NULL,
        tokens_in     INTEGER NOT NULL,
        tokens_out    INTEGER NOT NULL,
        ttft_ms       INTEGER,
        latency_ms    INTEGER NOT NULL,
        deadline_cut  INTEGER NOT NULL,
        cache_hit     INTEGER NOT NULL,
        source        TEXT NOT NULL,
        outcome       TEXT NOT NULL
      ) STRICT;
      CREATE INDEX questions_at ON questions (at);
      CREATE INDEX questions_session ON questions (session_id);
      CREATE INDEX questions_phone_at ON questions (phone_hash, at);

      CREATE TABLE feedback (
        id           INTEGER PRIMARY KEY,
        at           INTEGER NOT NULL,
        session_id   TEXT NOT NULL,
        phone_hash   TEXT NOT NULL,
        question_id  TEXT NOT NULL,
        helpful      INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX feedback_at ON feedback (at);
      CREATE INDEX feedback_question ON feedback (question_id);
    `,
  },
  {
    version: 3,
    name: 'paid tier events',
    sql: `
      CREATE TABLE tier_events (
        id          INTEGER PRIMARY KEY,
        at          INTEGER NOT NULL,
        session_id  TEXT NOT NULL,
        phone_hash  TEXT NOT NULL,
        event       TEXT NOT NULL,
        price       TEXT NOT NULL,
        days        INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX tier_events_at ON tier_events (at);
      CREATE INDEX tier_events_phone_at ON tier_events (phone_hash, at);
    `,
  },
  {
    version: 4,
    name: 'indexes that grow at one end',
    // Issue 7: an index keyed by a random value (a phone hash, AT's `ATUid_` + 32 hex session id)
    // puts each new row in a random page, and each such page is written out at the next commit:
    // these two were 12 of a hop's 39 µs in `npm run bench:hop`. Time-first keys append. The
    // report's queries all ask for sessions started in a time range, which (first_at, phone_hash)
    // answers alone; a session's hops are found through its time range with hops_at (README, "The
    // interaction log").
    sql: `
      DROP INDEX sessions_phone_first_at;
      DROP INDEX sessions_first_at;
      CREATE INDEX sessions_first_at_phone ON sessions (first_at, phone_hash);
      DROP INDEX hops_session;
    `,
  },
  {
    version: 5,
    name: 'facts about the file',
    // Issue 15: whether the file was written with the development PHONE_HASH_SECRET (meta.ts).
    sql: `
      CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 6,
    name: 'knowledge passages of a question',
    // Issue 18: the ids of the knowledge passages a question's prompt carried, as a JSON array
    // ('[]': the base had none for it, the content team's to-do list); NULL when the base was not
    // asked (FAQ, cache, no base, and every row from before). The report reads it with json_each.
    sql: `
      ALTER TABLE questions ADD COLUMN passages TEXT;
    `,
  },
  {
    version: 7,
    name: 'the paid tier funnel',
    // Issue 14: each step of the funnel with what it needs to be counted honestly: the payments
    // mode (intent is labelled intent), where an offer was shown from, and for M-Pesa the payment,
    // the shillings confirmed, the receipt and why a payment failed. Rows before this are intent.
    sql: `
      ALTER TABLE tier_events ADD COLUMN mode TEXT NOT NULL DEFAULT 'intent';
      ALTER TABLE tier_events ADD COLUMN via TEXT;
      ALTER TABLE tier_events ADD COLUMN payment_id TEXT;
      ALTER TABLE tier_events ADD COLUMN amount INTEGER;
      ALTER TABLE tier_events ADD COLUMN receipt TEXT;
      ALTER TABLE tier_events ADD COLUMN reason TEXT;
    `,
  },
  {
    version: 8,
    name: 'deliveries and SMS',
    // Issue 13: how each question's answer reached its asker (in the session, at the next dial, by
    // SMS; none: never) and the wait for a model slot; each SMS of an answer with AT's message id,
    // parts, cost and status, and AT's delivery report stored on the same row (a report may come
    // before the send's row is written: either creates the row, the other completes it).
    sql: `
      ALTER TABLE questions ADD COLUMN queue_ms INTEGER;

      CREATE TABLE deliveries (
        question_id  TEXT PRIMARY KEY,
        at           INTEGER NOT NULL,
        phone_hash   TEXT NOT NULL,
        how          TEXT NOT NULL,
        wait_ms      INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX deliveries_at ON deliveries (at);

      CREATE TABLE sms (
        id              INTEGER PRIMARY KEY,
        at              INTEGER NOT NULL,
        question_id     TEXT NOT NULL,
        phone_hash      TEXT NOT NULL,
        phone           TEXT,
        kind            TEXT NOT NULL,
        status          TEXT NOT NULL,
        status_code     INTEGER,
        at_status       TEXT,
        message_id      TEXT,
        parts           INTEGER,
        cost_raw        TEXT,
        cost_amount     REAL,
        cost_currency   TEXT,
        attempts        INTEGER NOT NULL,
        error           TEXT,
        report_status   TEXT,
        report_reason   TEXT,
        report_network  TEXT,
        report_at       INTEGER,
        reports         INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX sms_at ON sms (at);
      CREATE UNIQUE INDEX sms_message ON sms (message_id) WHERE message_id IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: 'records: phones and subscriptions',
    // The system of record for what a phone keeps across sessions (issue 14 item 1, issue 16
    // item 13), cached by the session store. Written rarely (a language change, a subscription),
    // read on a cache miss: keyed by the phone hash and by the caller's idempotency key. Never
    // purged with the log's rows.
    sql: `
      CREATE TABLE phones (
        phone_hash  TEXT PRIMARY KEY,
        lang        TEXT,
        lang_at     INTEGER
      ) STRICT;

      CREATE TABLE subscriptions (
        id          TEXT PRIMARY KEY,
        phone_hash  TEXT NOT NULL,
        starts_at   INTEGER NOT NULL,
        ends_at     INTEGER NOT NULL,
        source      TEXT NOT NULL,
        session_id  TEXT NOT NULL,
        reference   TEXT,
        created_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX subscriptions_phone_ends ON subscriptions (phone_hash, ends_at);
    `,
  },
  {
    version: 10,
    name: 'records: payments',
    // Issue 14: an M-Pesa payment from the hop that asked for it to Daraja's verdict, next to the
    // subscription it starts (records/payment-sql.ts). Open payments are found by their next
    // check (the sweep), a phone's latest by its hash; never purged with the log's rows.
    sql: PAYMENTS_TABLE_SQL,
  },
  {
    version: 11,
    name: 'stable row ids',
    // Issue 19: a log row written to a shared PostgreSQL by several replicas, retried after a
    // lost answer, must be written once: hops, feedback, tier events and SMS rows get the id they
    // were queued with (log/queued.ts rowUid), unique; a notification and a delivery report, which
    // add to counters, are applied once per id (log_applied). An SQLite file is written by one
    // process in local transactions and needs neither; it gets an id of its own, so that
    // `npm run log:migrate` can give its rows ids that differ from every other box's.
    sql: `
      INSERT OR IGNORE INTO meta (key, value) VALUES ('file_id', lower(hex(randomblob(8))));
    `,
    postgres: `
      ALTER TABLE hops ADD COLUMN uid TEXT NOT NULL;
      CREATE UNIQUE INDEX hops_uid ON hops (uid);
      ALTER TABLE feedback ADD COLUMN uid TEXT NOT NULL;
      CREATE UNIQUE INDEX feedback_uid ON feedback (uid);
      ALTER TABLE tier_events ADD COLUMN uid TEXT NOT NULL;
      CREATE UNIQUE INDEX tier_events_uid ON tier_events (uid);
      ALTER TABLE sms ADD COLUMN uid TEXT NOT NULL;
      CREATE UNIQUE INDEX sms_uid ON sms (uid);
      CREATE TABLE log_applied (
        uid  TEXT PRIMARY KEY,
        at   BIGINT NOT NULL
      );
      CREATE INDEX log_applied_at ON log_applied (at);
    `,
  },
  {
    version: 12,
    name: "the report's JSON function",
    // Issue 19: the report counts the knowledge passages of questions with SQLite's json_each
    // (report/knowledge.ts); PostgreSQL is given the same function for its one use (the values of a
    // JSON array of strings), so the report's SQL reads the same in both. SQLite has it built in.
    sql: '',
    postgres: `
      CREATE FUNCTION json_each(doc TEXT) RETURNS TABLE (value TEXT)
        LANGUAGE sql IMMUTABLE AS $$ SELECT jsonb_array_elements_text(doc::jsonb) $$;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * The migrations a database at `current` still needs, in order (both drivers apply them so). A
 * database newer than this code is refused: writing to it could corrupt its data.
 */
export function pendingMigrations(
  current: number,
  migrations: readonly Migration[] = MIGRATIONS,
): Migration[] {
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new InteractionLogError(
      `database schema is version ${current}, newer than this code knows (${latest}): upgrade the gateway`,
    );
  }
  return migrations.filter((m) => m.version > current);
}

/** Brings the file up to the last migration given. Returns the versions it applied (none when current). */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const applied: number[] = [];
  for (const m of pendingMigrations(userVersion(db), migrations)) {
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (cause) {
      throw new InteractionLogError(`migration ${m.version} (${m.name}) failed`, { cause });
    }
    applied.push(m.version);
  }
  return applied;
}

export function userVersion(db: Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}
