// The paid tier's funnel (issue 14 item 4): phones offered, accepted, asked to pay, paid, revenue
// and conversion, per local day and over the window, from tier_events. Read-only, no clock.
//
// Definitions (the numbers mean exactly this):
// - The cohort of a day is the phones shown the offer that day (each once, at its first offer of
//   the day, t0); the window's cohort is the phones shown it in the window (at their first offer).
//   `fromQuota`/`fromMenu` split the cohort by where that first offer was shown (rows before the
//   funnel's migration were quota offers).
// - accepted, asked to pay, paid: phones of the cohort that did it at or after t0 (up to the
//   window's end); declined: that declined and did not accept after all (a phone that declined,
//   then accepted in a later session, is one acceptance: accepted + declined never exceeds offered). failed: asked, not paid, and a payment failed (`failures` by the last
//   reason); expired: asked, neither paid nor failed, and a payment expired. Every figure is a
//   subset of the cohort, so no ratio exceeds 100 %.
// - revenue: the shillings confirmed that day (by Daraja's callback or status query), whoever paid.
// - conversion = paid / offered; with PAYMENTS_MODE=intent (no money moves, no cohort row of mpesa)
//   it is accepted / offered, and `conversionBasis` says 'intent'.

import type { Database } from 'better-sqlite3';
import { flag } from './sql.ts';

export interface FunnelFigures {
  offered: number;
  offeredFromQuota: number;
  offeredFromMenu: number;
  accepted: number;
  declined: number;
  askedToPay: number;
  paid: number;
  failed: number;
  expired: number;
  /** Why the failed phones' payments failed (cancelled, wrong-pin, …), by their last failure. */
  failures: Record<string, number>;
  /** Whole shillings confirmed. */
  revenue: number;
  conversionRate: number | null;
  conversionBasis: 'paid' | 'intent';
}

export interface FunnelRange {
  /** Epoch ms of the window's start and end, and the local offset in ms. */
  start: number;
  end: number;
  off: number;
}

const DAY_MS = 86_400_000;

/** The funnel of each local day (keyed by days since the epoch) and of the whole window. */
export function buildFunnel(
  db: Database,
  range: FunnelRange,
): { byDay: Map<number, FunnelFigures>; total: FunnelFigures } {
  const dayOf = `(at + CAST(@off AS INTEGER)) / ${DAY_MS}`;
  const byDay = cohorts(db, range, dayOf);
  const total = cohorts(db, range, '0').get(0) ?? emptyFunnel();
  for (const r of db
    .prepare(
      `SELECT ${dayOf} AS d, sum(amount) AS n FROM tier_events
       WHERE event = 'paid' AND at >= @start AND at < @end GROUP BY d`,
    )
    .all(range) as { d: number; n: number | null }[]) {
    const day = byDay.get(r.d) ?? emptyFunnel();
    day.revenue = r.n ?? 0;
    byDay.set(r.d, day);
    total.revenue += r.n ?? 0;
  }
  return { byDay, total };
}

export function emptyFunnel(): FunnelFigures {
  return {
    ...{ offered: 0, offeredFromQuota: 0, offeredFromMenu: 0, accepted: 0, declined: 0, askedToPay: 0 },
    ...{ paid: 0, failed: 0, expired: 0, failures: {}, revenue: 0, conversionRate: null },
    conversionBasis: 'intent',
  };
}

/** Each cohort's figures, grouped by `group` (a day expression, or '0' for the whole window). */
function cohorts(db: Database, range: FunnelRange, group: string): Map<number, FunnelFigures> {
  // After t0, before the window's end; tier_events_phone_at (phone_hash, at) answers each lookup.
  // 1 or 0 (not a boolean: PostgreSQL sums no booleans, SQLite has none).
  const did = (event: string) =>
    flag(`EXISTS (SELECT 1 FROM tier_events e WHERE e.phone_hash = f.p AND e.event = '${event}'
       AND e.at >= f.t0 AND e.at < @end)`);
  const flags = `
    WITH firsts AS MATERIALIZED (
      SELECT phone_hash AS p, ${group} AS d, min(at) AS t0, max(${flag("mode = 'mpesa'")}) AS m FROM tier_events
      WHERE event = 'offer' AND at >= @start AND at < @end GROUP BY p, d
    ), flags AS MATERIALIZED (
      SELECT f.d AS d, f.m AS m,
        (SELECT o.via FROM tier_events o WHERE o.phone_hash = f.p AND o.event = 'offer' AND o.at = f.t0
          LIMIT 1) AS via,
        ${did('accept')} AS acc, ${did('decline')} AS decl, ${did('requested')} AS req,
        ${did('paid')} AS paid, ${did('failed')} AS fail, ${did('expired')} AS exp,
        (SELECT e.reason FROM tier_events e WHERE e.phone_hash = f.p AND e.event = 'failed'
          AND e.at >= f.t0 AND e.at < @end ORDER BY e.at DESC LIMIT 1) AS why
      FROM firsts f
    )`;
  const out = new Map<number, FunnelFigures>();
  for (const r of db
    .prepare(
      `${flags} SELECT d, count(*) AS offered, sum(${flag("via = 'menu'")}) AS menu, sum(acc) AS acc,
         sum(${flag('decl = 1 AND acc = 0')}) AS decl, sum(req) AS req, sum(paid) AS paid,
         sum(${flag('req = 1 AND paid = 0 AND fail = 1')}) AS fail,
         sum(${flag('req = 1 AND paid = 0 AND fail = 0 AND exp = 1')}) AS exp, max(m) AS mpesa
       FROM flags GROUP BY d`,
    )
    .all(range) as Row[]) {
    const intent = r.mpesa !== 1;
    out.set(r.d, {
      ...emptyFunnel(),
      offered: r.offered,
      offeredFromQuota: r.offered - r.menu,
      offeredFromMenu: r.menu,
      accepted: r.acc,
      declined: r.decl,
      askedToPay: r.req,
      paid: r.paid,
      failed: r.fail,
      expired: r.exp,
      conversionRate: (intent ? r.acc : r.paid) / r.offered,
      conversionBasis: intent ? 'intent' : 'paid',
    });
  }
  for (const r of db
    .prepare(
      `${flags} SELECT d, coalesce(why, 'other') AS why, count(*) AS n FROM flags
       WHERE req = 1 AND paid = 0 AND fail = 1 GROUP BY d, why`,
    )
    .all(range) as { d: number; why: string; n: number }[]) {
    const figures = out.get(r.d);
    if (figures) figures.failures[r.why] = r.n;
  }
  return out;
}

interface Row {
  d: number;
  offered: number;
  menu: number;
  acc: number;
  decl: number;
  req: number;
  paid: number;
  fail: number;
  exp: number;
  mpesa: number;
}
