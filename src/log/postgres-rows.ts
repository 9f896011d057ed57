// The rows of a log batch as PostgreSQL's arrays (postgres-batch.ts): each kind's values in its
// columns' order, bound as statements.ts binds them for SQLite (numbers rounded, booleans 0/1,
// absent optional fields null), the column lists with their types for unnest, and the split of
// a batch into parts that an upsert may take. Pure.
import { parseCost } from '../protocol/cost.ts';
import { hopColumns, int, intOrNull } from './row-values.ts';
import type { LogItem } from './statements.ts';

export { int, intOrNull };

export type Item<K extends LogItem['kind']> = Extract<LogItem, { kind: K }>;
export type Value = string | number | null;

// Column lists with their PostgreSQL types, in the order of each row's values.
export const HOP = cols(
  'uid text, at bigint, session_id text, phone_hash text, input text, text text, screen text, lang text, reply_kind text, reply text, latency_ms bigint, outcome text',
);
export const TOUCH = cols(
  'session_id text, first_at bigint, last_at bigint, phone_hash text, phone text, service_code text, network_code text, hops bigint, last_screen text, lang text',
);
export const QUESTION = cols(
  'id text, at bigint, session_id text, phone_hash text, channel text, lang text, model text, question text, prompt text, answer text, tokens_in bigint, tokens_out bigint, ttft_ms bigint, latency_ms bigint, deadline_cut bigint, cache_hit bigint, source text, outcome text, passages text, queue_ms bigint',
);
export const SESSION_END = cols(
  'session_id text, first_at bigint, last_at bigint, phone_hash text, phone text, service_code text, network_code text, status text, cost_raw text, cost_amount float8, cost_currency text, duration_ms bigint, hops_count bigint, input text, last_app_response text, error_message text, end_date text, ended_at bigint, raw text',
);
export const FEEDBACK = cols(
  'uid text, at bigint, session_id text, phone_hash text, question_id text, helpful bigint',
);
export const TIER = cols(
  'uid text, at bigint, session_id text, phone_hash text, event text, price text, days bigint, mode text, via text, payment_id text, amount bigint, receipt text, reason text',
);
export const DELIVERY = cols('question_id text, at bigint, phone_hash text, how text, wait_ms bigint');
export const SMS = cols(
  'uid text, at bigint, question_id text, phone_hash text, phone text, kind text, status text, status_code bigint, at_status text, message_id text, parts bigint, cost_raw text, cost_amount float8, cost_currency text, attempts bigint, error text',
);
export const REPORT = cols(
  'uid text, at bigint, message_id text, report_status text, report_reason text, report_network text',
);

export function insertSql(table: string, c: Columns, conflict: string): string {
  return `INSERT INTO ${table} AS s (${c.names.join(', ')}) SELECT * FROM unnest(${c.casts}) ${conflict}`;
}

export interface Columns {
  names: string[];
  /** `$1::text[], $2::bigint[], …`: the arrays unnest zips into rows. */
  casts: string;
}

export function cols(spec: string): Columns {
  const pairs = spec.split(',').map((p) => p.trim().split(/\s+/) as [string, string]);
  return { names: pairs.map(([n]) => n), casts: pairs.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ') };
}

/** Rows of values → one array per column. */
export function columns(rows: readonly Value[][], width: number): Value[][] {
  const out: Value[][] = Array.from({ length: width }, () => []);
  for (const row of rows) for (let i = 0; i < width; i++) (out[i] as Value[]).push(clean(row[i] ?? null));
  return out;
}

/**
 * Splits items so that no key comes twice in one part, in order (the first of each key in the
 * first part, …): an upsert may not touch one row twice in one statement. Nearly always one part.
 */
export function rounds<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const parts: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    const part = parts[n] ?? [];
    part.push(item);
    parts[n] = part;
  }
  return parts;
}

export const hopValues = ({ row, uid }: Item<'hop'>): Value[] => [uid ?? '', ...hopColumns(row)];

export const questionValues = ({ row: r }: Item<'question'>): Value[] => [
  r.id,
  int(r.at),
  r.sessionId,
  r.phoneHash,
  r.channel,
  r.lang,
  r.model,
  r.question,
  r.prompt,
  r.answer,
  int(r.tokensIn),
  int(r.tokensOut),
  r.ttftMs === null ? null : int(r.ttftMs),
  int(r.latencyMs),
  r.deadlineCut ? 1 : 0,
  r.cacheHit ? 1 : 0,
  r.source,
  r.outcome,
  r.passages ? JSON.stringify(r.passages) : null,
  r.queueMs === undefined ? null : int(r.queueMs),
];

export const feedbackValues = ({ row: r, uid }: Item<'feedback'>): Value[] => [
  uid ?? '',
  int(r.at),
  r.sessionId,
  r.phoneHash,
  r.questionId,
  r.helpful ? 1 : 0,
];

export const tierValues = ({ row: r, uid }: Item<'tier'>): Value[] => [
  uid ?? '',
  int(r.at),
  r.sessionId,
  r.phoneHash,
  r.event,
  r.price,
  int(r.days),
  r.mode ?? 'intent',
  r.via ?? null,
  r.paymentId ?? null,
  intOrNull(r.amount ?? null),
  r.receipt ?? null,
  r.reason ?? null,
];

export const deliveryValues = ({ row: r }: Item<'delivery'>): Value[] => [
  r.questionId,
  int(r.at),
  r.phoneHash,
  r.how,
  int(r.waitMs),
];

export const smsValues = ({ row: r, uid }: Item<'sms'>): Value[] => {
  const cost = parseCost(r.costRaw ?? '');
  return [
    uid ?? '',
    int(r.at),
    r.questionId,
    r.phoneHash,
    r.phone ?? null,
    r.kind,
    r.status,
    intOrNull(r.statusCode),
    r.atStatus,
    r.messageId,
    intOrNull(r.parts),
    r.costRaw,
    cost.amount,
    cost.currency,
    int(r.attempts),
    r.error,
  ];
};

/** PostgreSQL's text cannot hold NUL (SQLite's can): one in a hostile hop would refuse the row. */
function clean(v: Value): Value {
  return typeof v === 'string' && v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;
}
