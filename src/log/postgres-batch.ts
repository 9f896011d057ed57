// A batch of log rows as PostgreSQL writes it (log/postgres.ts runs it in one transaction): one
// multi-row INSERT per row kind, its values as one array per column (unnest), so a batch of 500
// hops is one statement and one round trip, whatever its size. Idempotent on the rows' ids, so a
// batch retried after its COMMIT went through but its answer was lost doubles nothing:
// - hops, feedback, tier events and SMS sends: ON CONFLICT (uid) DO NOTHING; a session's row counts
//   only the hops this statement inserted (RETURNING uid);
// - questions and deliveries are keyed by the question's id already (as in SQLite: a question
//   replaced, the first delivery kept);
// - AT's notifications and delivery reports add to counters: each applies once per row id
//   (log_applied, migration 11).
// The values are bound as in statements.ts (numbers rounded, booleans 0/1). Knows nothing of
// queues, retries or connections.
import type pg from 'pg';
import { parseCost } from '../protocol/cost.ts';
import {
  type Columns,
  columns,
  DELIVERY,
  deliveryValues,
  FEEDBACK,
  feedbackValues,
  HOP,
  hopValues,
  type Item,
  insertSql,
  int,
  intOrNull,
  QUESTION,
  questionValues,
  REPORT,
  rounds,
  SESSION_END,
  SMS,
  smsValues,
  TIER,
  TOUCH,
  tierValues,
  type Value,
} from './postgres-rows.ts';
import { sessionTouches, touchColumns } from './row-values.ts';
import type { LogItem } from './statements.ts';
import type { HopRow } from './types.ts';

/** Writes the items; throws what PostgreSQL throws (the caller's transaction is then rolled back). */
export async function writeItems(client: pg.ClientBase, items: readonly LogItem[]): Promise<void> {
  const of = <K extends LogItem['kind']>(kind: K) => items.filter((i): i is Item<K> => i.kind === kind);
  // Sends before delivery reports: a report on a send of the same batch finds its row.
  await hops(client, of('hop'));
  for (const round of rounds(of('question'), (i) => i.row.id)) await questions(client, round);
  await sessionEnds(client, await applyOnce(client, of('session-end')));
  await insert(
    client,
    'feedback',
    FEEDBACK,
    of('feedback').map(feedbackValues),
    'ON CONFLICT (uid) DO NOTHING',
  );
  await insert(client, 'tier_events', TIER, of('tier').map(tierValues), 'ON CONFLICT (uid) DO NOTHING');
  await insert(
    client,
    'deliveries',
    DELIVERY,
    of('delivery').map(deliveryValues),
    'ON CONFLICT (question_id) DO NOTHING',
  );
  const sms = of('sms');
  await insert(
    client,
    'sms',
    SMS,
    sms.filter((i) => i.row.messageId === null).map(smsValues),
    'ON CONFLICT (uid) DO NOTHING',
  );
  for (const round of rounds(
    sms.filter((i) => i.row.messageId !== null),
    (i) => i.row.messageId ?? '',
  ))
    await insert(client, 'sms', SMS, round.map(smsValues), SMS_UPSERT);
  for (const round of rounds(await applyOnce(client, of('sms-report')), (i) => i.row.messageId))
    await smsReports(client, round);
}

/** Rows older than `cutoff`, at most `limit` per table (through the time indexes). */
export async function purgeOlder(client: pg.ClientBase, cutoff: number, limit: number) {
  let deleted = 0;
  let more = false;
  for (const [table, column] of PURGES) {
    const r = await client.query(
      `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${column} < $1 LIMIT $2))`,
      [cutoff, limit],
    );
    deleted += r.rowCount ?? 0;
    if ((r.rowCount ?? 0) >= limit) more = true;
  }
  return { deleted, more };
}

const PURGES: readonly [string, string][] = [
  ['hops', 'at'],
  ['questions', 'at'],
  ['deliveries', 'at'],
  ['sms', 'at'],
  ['feedback', 'at'],
  ['tier_events', 'at'],
  ['log_applied', 'at'],
  ['sessions', 'last_at'],
];

// The sessions row of a batch's hops: as statements.ts's SESSION_HOPS_SQL, in PostgreSQL's words.
const TOUCH_UPSERT = `ON CONFLICT (session_id) DO UPDATE SET
  first_at = least(s.first_at, excluded.first_at),
  last_at = greatest(s.last_at, excluded.last_at),
  phone = coalesce(excluded.phone, s.phone),
  network_code = coalesce(s.network_code, excluded.network_code),
  hops = s.hops + excluded.hops,
  last_screen = CASE WHEN s.last_screen IS NULL OR excluded.last_at >= s.last_at THEN excluded.last_screen ELSE s.last_screen END,
  lang = CASE WHEN s.lang IS NULL OR excluded.last_at >= s.last_at THEN excluded.lang ELSE s.lang END`;

const QUESTION_UPSERT = `ON CONFLICT (id) DO UPDATE SET ${QUESTION.names
  .filter((n) => n !== 'id')
  .map((n) => `${n} = excluded.${n}`)
  .join(', ')}`;

// As statements.ts's SESSION_END_SQL: the latest notification wins; an unknown session is made.
const SESSION_END_UPSERT = `ON CONFLICT (session_id) DO UPDATE SET
  last_at = greatest(s.last_at, excluded.last_at),
  phone = coalesce(excluded.phone, s.phone),
  network_code = coalesce(nullif(s.network_code, ''), excluded.network_code),
  status = excluded.status, cost_raw = excluded.cost_raw, cost_amount = excluded.cost_amount,
  cost_currency = excluded.cost_currency, duration_ms = excluded.duration_ms,
  hops_count = excluded.hops_count, input = excluded.input,
  last_app_response = excluded.last_app_response, error_message = excluded.error_message,
  end_date = excluded.end_date, ended_at = excluded.ended_at, raw = excluded.raw,
  notifications = s.notifications + 1`;

const SMS_UPSERT = `ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO UPDATE SET
  ${SMS.names
    .filter((n) => n !== 'uid' && n !== 'message_id')
    .map((n) => `${n} = excluded.${n}`)
    .join(', ')}`;

// As statements.ts's SMS_REPORT_SQL: a final status is never replaced by a late interim one.
const FINAL = `('Success', 'Failed', 'Rejected')`;
const KEEP = `s.report_status IN ${FINAL} AND excluded.report_status NOT IN ${FINAL}`;
const REPORT_UPSERT = `ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO UPDATE SET
  report_status = CASE WHEN ${KEEP} THEN s.report_status ELSE excluded.report_status END,
  report_reason = CASE WHEN ${KEEP} THEN s.report_reason ELSE excluded.report_reason END,
  report_network = excluded.report_network, report_at = excluded.report_at, reports = s.reports + 1`;

async function hops(client: pg.ClientBase, items: readonly Item<'hop'>[]): Promise<void> {
  if (items.length === 0) return;
  const r = await client.query<{ uid: string }>(
    `${insertSql('hops', HOP, 'ON CONFLICT (uid) DO NOTHING')} RETURNING uid`,
    columns(items.map(hopValues), HOP.names.length),
  );
  const inserted = new Set(r.rows.map((row) => row.uid));
  const fresh: HopRow[] = items.filter((i) => inserted.has(i.uid ?? '')).map((i) => i.row);
  // In one order on every replica: two batches touching the same sessions cannot deadlock.
  const touches = sessionTouches(fresh).sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1));
  await insert(client, 'sessions', TOUCH, touches.map(touchColumns), TOUCH_UPSERT);
}

async function questions(client: pg.ClientBase, items: readonly Item<'question'>[]): Promise<void> {
  await insert(client, 'questions', QUESTION, items.map(questionValues), QUESTION_UPSERT);
}

async function sessionEnds(client: pg.ClientBase, items: readonly Item<'session-end'>[]): Promise<void> {
  for (const round of rounds(items, (i) => i.row.sessionId)) {
    const values = round.map(({ row: r }): Value[] => {
      const cost = parseCost(r.costRaw);
      const durationMs = intOrNull(r.durationMs);
      const at = int(r.at);
      return [
        r.sessionId,
        at - (durationMs ?? 0),
        at,
        r.phoneHash,
        r.phone ?? null,
        r.serviceCode,
        r.networkCode,
        r.status,
        r.costRaw,
        r.costAmount ?? cost.amount,
        r.costCurrency ?? cost.currency,
        durationMs,
        intOrNull(r.hopsCount),
        r.input,
        r.lastAppResponse,
        r.errorMessage,
        r.date,
        at,
        r.raw,
      ];
    });
    const sql = `INSERT INTO sessions AS s (${SESSION_END.names.join(', ')}, hops, notifications)
      SELECT *, 0, 1 FROM unnest(${SESSION_END.casts}) ${SESSION_END_UPSERT}`;
    await client.query(sql, columns(values, SESSION_END.names.length));
  }
}

async function smsReports(client: pg.ClientBase, items: readonly Item<'sms-report'>[]): Promise<void> {
  if (items.length === 0) return;
  const values = items.map(({ row: r, uid }): Value[] => [
    uid ?? '',
    int(r.at),
    r.messageId,
    r.status,
    r.failureReason,
    r.networkCode,
  ]);
  await client.query(
    `INSERT INTO sms AS s (${REPORT.names.join(', ')}, question_id, phone_hash, kind, status, attempts, report_at, reports)
     SELECT u.*, '', '', 'answer', 'sent', 0, u.at, 1 FROM unnest(${REPORT.casts}) AS u(${REPORT.names.join(', ')})
     ${REPORT_UPSERT}`,
    columns(values, REPORT.names.length),
  );
}

/** The items not applied before (their ids recorded now, in this transaction). */
async function applyOnce<T extends LogItem>(client: pg.ClientBase, items: readonly T[]): Promise<T[]> {
  if (items.length === 0) return [];
  const r = await client.query<{ uid: string }>(
    `INSERT INTO log_applied (uid, at) SELECT * FROM unnest($1::text[], $2::bigint[])
     ON CONFLICT (uid) DO NOTHING RETURNING uid`,
    [items.map((i) => i.uid ?? ''), items.map((i) => int(i.row.at))],
  );
  const fresh = new Set(r.rows.map((row) => row.uid));
  return items.filter((i) => fresh.has(i.uid ?? ''));
}

async function insert(
  client: pg.ClientBase,
  table: string,
  c: Columns,
  rows: readonly Value[][],
  conflict: string,
): Promise<void> {
  if (rows.length === 0) return;
  await client.query(insertSql(table, c, conflict), columns(rows, c.names.length));
}
