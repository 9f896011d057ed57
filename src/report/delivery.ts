// The report's delivery figures (issue 13 §5): how the window's USSD questions reached their askers
// (in the session, at the next dial, by SMS, never), how long that took, and the SMS sent, delivered
// and their cost. Read-only queries over the log; window totals only. Pure but for the reads.
//
// Definitions: a question is one row of `questions` with channel 'ussd' asked in the window,
// whatever its outcome; its delivery is its row in `deliveries` (the first one, if any), else
// never (so far). Time to answer is deliveries.wait_ms (question to the first page, the next dial's
// read or AT's acceptance of the SMS), nearest-rank percentiles. SMS count rows of `sms` sent in the
// window: sent = AT took it; delivered = AT's delivery report said Success; cost = AT's stated cost.

import type { Database } from 'better-sqlite3';
import { flag } from './sql.ts';

export interface DeliveryFigures {
  questions: number;
  inSession: number;
  nextDial: number;
  bySms: number;
  never: number;
  answerP50Ms: number | null;
  answerP95Ms: number | null;
  smsSent: number;
  smsDelivered: number;
  smsFailed: number;
  smsCost: number;
  smsCurrency: string | null;
}

export function deliveryFigures(db: Database, range: { start: number; end: number }): DeliveryFigures {
  const counts = db
    .prepare(
      `SELECT count(*) AS questions,
         coalesce(sum(${flag("d.how = 'in-session'")}), 0) AS "inSession",
         coalesce(sum(${flag("d.how = 'next-dial'")}), 0) AS "nextDial",
         coalesce(sum(${flag("d.how = 'sms'")}), 0) AS "bySms",
         coalesce(sum(${flag('d.how IS NULL')}), 0) AS never
       FROM questions q LEFT JOIN deliveries d ON d.question_id = q.id
       WHERE q.channel = 'ussd' AND q.at >= @start AND q.at < @end`,
    )
    .get(range) as Pick<DeliveryFigures, 'questions' | 'inSession' | 'nextDial' | 'bySms' | 'never'>;
  const waits = (
    db
      .prepare(
        `SELECT d.wait_ms AS ms FROM questions q JOIN deliveries d ON d.question_id = q.id
         WHERE q.channel = 'ussd' AND q.at >= @start AND q.at < @end ORDER BY d.wait_ms`,
      )
      .all(range) as { ms: number }[]
  ).map((r) => r.ms);
  const sms = db
    .prepare(
      `SELECT coalesce(sum(${flag("status = 'sent'")}), 0) AS sent,
         coalesce(sum(${flag("report_status = 'Success'")}), 0) AS delivered,
         coalesce(sum(${flag("status = 'failed' OR report_status IN ('Failed', 'Rejected')")}), 0) AS failed,
         coalesce(sum(cost_amount), 0) AS cost,
         max(cost_currency) AS currency
       FROM sms WHERE at >= @start AND at < @end AND question_id != ''`,
    )
    .get(range) as { sent: number; delivered: number; failed: number; cost: number; currency: string | null };
  return {
    ...counts,
    answerP50Ms: nearestRank(waits, 50),
    answerP95Ms: nearestRank(waits, 95),
    smsSent: sms.sent,
    smsDelivered: sms.delivered,
    smsFailed: sms.failed,
    smsCost: Math.round(sms.cost * 10_000) / 10_000,
    smsCurrency: sms.currency,
  };
}

/** The report's text lines for these figures. */
export function deliveryText(f: DeliveryFigures): string[] {
  const share = (n: number) => (f.questions === 0 ? '-' : `${Math.round((n / f.questions) * 100)}%`);
  const ms = (v: number | null) => (v === null ? '-' : String(Math.round(v)));
  return [
    'How did the answers reach people? (window total)',
    `  questions ${f.questions}: in session ${f.inSession} (${share(f.inSession)}), at the next dial ${f.nextDial} (${share(f.nextDial)}), by SMS ${f.bySms} (${share(f.bySms)}), never ${f.never} (${share(f.never)})`,
    `  time to answer: p50 ${ms(f.answerP50Ms)} ms, p95 ${ms(f.answerP95Ms)} ms`,
    `  SMS: ${f.smsSent} sent, ${f.smsDelivered} delivered, ${f.smsFailed} failed, cost ${f.smsCurrency ?? ''} ${f.smsCost}`.trimEnd(),
  ];
}

function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}
