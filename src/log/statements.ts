// The interaction log's write statements: one prepared statement per row kind, and the binding of
// the contract's row types (types.ts) to columns. Numbers are rounded and booleans made 0/1 so a
// caller's 12.5 ms can never become a STRICT-table type error that blocks the queue.
// Must not open, retry or schedule anything: sqlite.ts owns the connection's life.
import type { Database } from 'better-sqlite3';
import { parseCost } from '../protocol/cost.ts';
import { hopColumns, int, intOrNull, sessionTouches, touchColumns } from './row-values.ts';
import type {
  DeliveryRow,
  FeedbackRow,
  HopRow,
  QuestionRow,
  SessionEndRow,
  SmsReportRow,
  SmsRow,
  TierRow,
} from './types.ts';

export type LogItem = (
  | { kind: 'hop'; row: HopRow }
  | { kind: 'question'; row: QuestionRow }
  | { kind: 'session-end'; row: SessionEndRow }
  | { kind: 'feedback'; row: FeedbackRow }
  | { kind: 'tier'; row: TierRow }
  | { kind: 'delivery'; row: DeliveryRow }
  | { kind: 'sms'; row: SmsRow }
  | { kind: 'sms-report'; row: SmsReportRow }
) & {
  /**
   * The row's stable id, given when it is queued (log/queued.ts rowUid): a batch retried after a
   * lost answer writes each row once (PostgreSQL: ON CONFLICT DO NOTHING). SQLite's local
   * transaction needs none, and its wire format (wire.ts) leaves it out.
   */
  uid?: string;
};

export interface LogWriter {
  /** Writes one item's row; a hop's sessions row is left to touchSessions. Throws what SQLite throws. */
  write(item: LogItem): void;
  /** Upserts the sessions rows of these hops: one statement per session, however many hops. */
  touchSessions(hops: readonly HopRow[]): void;
  /**
   * Deletes rows older than `cutoff` (epoch ms), at most `limit` per table; returns the rows deleted
   * and whether a table had more (the caller comes back for them).
   */
  purge(cutoff: number, limit: number): { deleted: number; more: boolean };
}

// The notification upsert: the latest notification received wins (AT may resend it, §5); a
// session we never saw is created, its start estimated from the notification's duration.
const SESSION_END_SQL = `
  INSERT INTO sessions (session_id, first_at, last_at, phone_hash, phone, service_code, network_code,
    hops, status, cost_raw, cost_amount, cost_currency, duration_ms, hops_count, input,
    last_app_response, error_message, end_date, ended_at, notifications, raw)
  VALUES (@sessionId, @startAt, @at, @phoneHash, @phone, @serviceCode, @networkCode,
    0, @status, @costRaw, @costAmount, @costCurrency, @durationMs, @hopsCount, @input,
    @lastAppResponse, @errorMessage, @date, @at, 1, @raw)
  ON CONFLICT (session_id) DO UPDATE SET
    last_at = max(last_at, excluded.last_at),
    phone = coalesce(excluded.phone, phone),
    network_code = coalesce(nullif(network_code, ''), excluded.network_code),
    status = excluded.status, cost_raw = excluded.cost_raw, cost_amount = excluded.cost_amount,
    cost_currency = excluded.cost_currency, duration_ms = excluded.duration_ms,
    hops_count = excluded.hops_count, input = excluded.input,
    last_app_response = excluded.last_app_response, error_message = excluded.error_message,
    end_date = excluded.end_date, ended_at = excluded.ended_at, raw = excluded.raw,
    notifications = notifications + 1`;

// One upsert per session per batch, not per hop (issue 7: the per-hop upsert, with the sessions
// table's three indexes, was a quarter of the log's cost). Its values are the batch's hops of that
// session folded as sessionTouches() describes, so the row ends as if each hop had upserted it.
const SESSION_HOPS_SQL = `
  INSERT INTO sessions (session_id, first_at, last_at, phone_hash, phone, service_code, network_code,
    hops, last_screen, lang)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (session_id) DO UPDATE SET
    first_at = min(first_at, excluded.first_at),
    last_at = max(last_at, excluded.last_at),
    phone = coalesce(excluded.phone, phone),
    network_code = coalesce(network_code, excluded.network_code),
    hops = hops + excluded.hops,
    last_screen = iif(last_screen IS NULL OR excluded.last_at >= last_at, excluded.last_screen, last_screen),
    lang = iif(lang IS NULL OR excluded.last_at >= last_at, excluded.lang, lang)`;

// Positional: binding by name costs a lookup per column per row, on the log's hottest statement.
const HOP_SQL = `
  INSERT INTO hops (at, session_id, phone_hash, input, text, screen, lang, reply_kind, reply, latency_ms, outcome)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

// A question id is unique: recording it again (a retried answer) replaces, never doubles, it.
const QUESTION_SQL = `
  INSERT OR REPLACE INTO questions (id, at, session_id, phone_hash, channel, lang, model, question, prompt,
    answer, tokens_in, tokens_out, ttft_ms, latency_ms, deadline_cut, cache_hit, source, outcome, passages, queue_ms)
  VALUES (@id, @at, @sessionId, @phoneHash, @channel, @lang, @model, @question, @prompt, @answer,
    @tokensIn, @tokensOut, @ttftMs, @latencyMs, @deadlineCut, @cacheHit, @source, @outcome, @passages, @queueMs)`;

// The first delivery of a question wins: reading it at the next dial after it came by SMS is no
// second delivery.
const DELIVERY_SQL = `
  INSERT OR IGNORE INTO deliveries (question_id, at, phone_hash, how, wait_ms)
  VALUES (@questionId, @at, @phoneHash, @how, @waitMs)`;

// The send's row; a delivery report that came first made the row already (keyed by message id).
const SMS_SQL = `
  INSERT INTO sms (at, question_id, phone_hash, phone, kind, status, status_code, at_status, message_id,
    parts, cost_raw, cost_amount, cost_currency, attempts, error)
  VALUES (@at, @questionId, @phoneHash, @phone, @kind, @status, @statusCode, @atStatus, @messageId,
    @parts, @costRaw, @costAmount, @costCurrency, @attempts, @error)
  ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO UPDATE SET
    at = excluded.at, question_id = excluded.question_id, phone_hash = excluded.phone_hash,
    phone = excluded.phone, kind = excluded.kind, status = excluded.status,
    status_code = excluded.status_code, at_status = excluded.at_status, parts = excluded.parts,
    cost_raw = excluded.cost_raw, cost_amount = excluded.cost_amount,
    cost_currency = excluded.cost_currency, attempts = excluded.attempts, error = excluded.error`;

// A report against its message: a final status (Success, Failed, Rejected) is never replaced by a
// late interim one (Sent, Submitted, Buffered); a resent report changes nothing but the count.
const SMS_REPORT_SQL = `
  INSERT INTO sms (at, question_id, phone_hash, kind, status, attempts, message_id, report_status,
    report_reason, report_network, report_at, reports)
  VALUES (@at, '', '', 'answer', 'sent', 0, @messageId, @status, @failureReason, @networkCode, @at, 1)
  ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO UPDATE SET
    report_status = iif(report_status IN ('Success', 'Failed', 'Rejected')
      AND excluded.report_status NOT IN ('Success', 'Failed', 'Rejected'), report_status, excluded.report_status),
    report_reason = iif(report_status IN ('Success', 'Failed', 'Rejected')
      AND excluded.report_status NOT IN ('Success', 'Failed', 'Rejected'), report_reason, excluded.report_reason),
    report_network = excluded.report_network,
    report_at = excluded.report_at,
    reports = reports + 1`;

const FEEDBACK_SQL = `
  INSERT INTO feedback (at, session_id, phone_hash, question_id, helpful)
  VALUES (@at, @sessionId, @phoneHash, @questionId, @helpful)`;

const TIER_SQL = `
  INSERT INTO tier_events (at, session_id, phone_hash, event, price, days, mode, via, payment_id, amount,
    receipt, reason)
  VALUES (@at, @sessionId, @phoneHash, @event, @price, @days, @mode, @via, @paymentId, @amount, @receipt,
    @reason)`;

const PURGES: readonly [table: string, column: string][] = [
  ['hops', 'at'],
  ['questions', 'at'],
  ['deliveries', 'at'],
  ['sms', 'at'],
  ['feedback', 'at'],
  ['tier_events', 'at'],
  ['sessions', 'last_at'],
];

export function createLogWriter(db: Database): LogWriter {
  const hop = db.prepare(HOP_SQL);
  const sessionHops = db.prepare(SESSION_HOPS_SQL);
  const sessionEnd = db.prepare(SESSION_END_SQL);
  const question = db.prepare(QUESTION_SQL);
  const feedback = db.prepare(FEEDBACK_SQL);
  const tier = db.prepare(TIER_SQL);
  const delivery = db.prepare(DELIVERY_SQL);
  const sms = db.prepare(SMS_SQL);
  const smsReport = db.prepare(SMS_REPORT_SQL);
  // By rowid through the time index, a bounded number at a time: a day of a busy gateway's rows
  // deleted in one statement held the event loop for seconds (issue 7: 1M hop rows, 760 ms).
  const purges = PURGES.map(([t, c]) =>
    db.prepare(`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${c} < ? LIMIT ?)`),
  );

  return {
    write(item) {
      switch (item.kind) {
        case 'hop': {
          hop.run(...hopColumns(item.row));
          return;
        }
        case 'question': {
          const r = item.row;
          question.run({
            ...r,
            at: int(r.at),
            tokensIn: int(r.tokensIn),
            tokensOut: int(r.tokensOut),
            ttftMs: r.ttftMs === null ? null : int(r.ttftMs),
            latencyMs: int(r.latencyMs),
            deadlineCut: r.deadlineCut ? 1 : 0,
            cacheHit: r.cacheHit ? 1 : 0,
            passages: r.passages ? JSON.stringify(r.passages) : null,
            queueMs: r.queueMs === undefined ? null : int(r.queueMs),
          });
          return;
        }
        case 'session-end': {
          const r = item.row;
          const parsed = parseCost(r.costRaw);
          const durationMs = intOrNull(r.durationMs);
          sessionEnd.run({
            ...r,
            at: int(r.at),
            startAt: int(r.at) - (durationMs ?? 0),
            phone: r.phone ?? null,
            costAmount: r.costAmount ?? parsed.amount,
            costCurrency: r.costCurrency ?? parsed.currency,
            durationMs,
            hopsCount: intOrNull(r.hopsCount),
          });
          return;
        }
        case 'feedback':
          feedback.run({ ...item.row, at: int(item.row.at), helpful: item.row.helpful ? 1 : 0 });
          return;
        case 'tier': {
          const r = item.row;
          tier.run({
            ...r,
            at: int(r.at),
            days: int(r.days),
            mode: r.mode ?? 'intent',
            via: r.via ?? null,
            paymentId: r.paymentId ?? null,
            amount: intOrNull(r.amount ?? null),
            receipt: r.receipt ?? null,
            reason: r.reason ?? null,
          });
          return;
        }
        case 'delivery':
          delivery.run({ ...item.row, at: int(item.row.at), waitMs: int(item.row.waitMs) });
          return;
        case 'sms': {
          const r = item.row;
          const cost = parseCost(r.costRaw ?? '');
          sms.run({
            ...r,
            at: int(r.at),
            phone: r.phone ?? null,
            statusCode: intOrNull(r.statusCode),
            parts: intOrNull(r.parts),
            costAmount: cost.amount,
            costCurrency: cost.currency,
            attempts: int(r.attempts),
          });
          return;
        }
        case 'sms-report':
          smsReport.run({ ...item.row, at: int(item.row.at) });
          return;
      }
    },
    touchSessions(hops) {
      for (const t of sessionTouches(hops)) sessionHops.run(...touchColumns(t));
    },
    purge(cutoff, limit) {
      let deleted = 0;
      let more = false;
      for (const p of purges) {
        const changes = p.run(cutoff, limit).changes;
        deleted += changes;
        if (changes >= limit) more = true;
      }
      return { deleted, more };
    },
  };
}
