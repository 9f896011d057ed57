// The engagement figures beyond the daily counts (issue 17): retention cohorts by week and where
// sessions end. Pure but for the reads; no clock (`today` is given).
//
// Definitions: a phone's cohort is the local week (Monday to Sunday) of its first session ever,
// for the phones first seen in the window. Back on day 1: a session on the day after the first;
// day 7 and day 28: a session on one of the 7 (28) days after it. A phone counts for day N only
// once its day N is over (D + N before today): `eligible`; the rate is kept / eligible, null
// while no phone of the cohort is eligible. Where sessions end: the last screen each session of
// the window showed (`(none)`: known only from AT's end-of-session notice) and its hop count.
import type { Database } from 'better-sqlite3';
import { SQL } from './sql.ts';

export interface Retention {
  eligible: number;
  kept: number;
  rate: number | null;
}

export interface Cohort {
  /** The Monday of the week, YYYY-MM-DD. */
  week: string;
  phones: number;
  day1: Retention;
  day7: Retention;
  day28: Retention;
}

export interface SessionEnds {
  sessions: number;
  /** The screens sessions ended on, most first; the rest summed as '(other)'. */
  screens: { screen: string; sessions: number }[];
  /** Sessions by hop count: '0' (notice only), '1' … '4', '5-9', '10+'. */
  hops: { hops: string; sessions: number }[];
}

/** A row of SQL.engagement of kind 'new': the phones first seen on local day d, and how many came back. */
export interface NewUsersRow {
  d: number;
  n: number;
  back1: number;
  back7: number;
  back28: number;
}

const SCREENS_SHOWN = 10;
const HOP_BUCKETS = ['0', '1', '2', '3', '4', '5-9', '10+'] as const;

/** Cohorts of the weeks the window touches, oldest first (weeks with no new phone included). */
export function weeklyCohorts(rows: readonly NewUsersRow[], first: number, today: number): Cohort[] {
  const weeks = new Map<number, Cohort>();
  for (let w = mondayOf(first); w <= today; w += 7) weeks.set(w, emptyCohort(w));
  for (const r of rows) {
    const c = weeks.get(mondayOf(r.d));
    if (!c) continue;
    c.phones += r.n;
    for (const [n, kept, x] of [
      [1, r.back1, c.day1],
      [7, r.back7, c.day7],
      [28, r.back28, c.day28],
    ] as const) {
      if (r.d + n >= today) continue;
      x.eligible += r.n;
      x.kept += kept;
    }
  }
  for (const c of weeks.values())
    for (const x of [c.day1, c.day7, c.day28]) x.rate = x.eligible === 0 ? null : x.kept / x.eligible;
  return [...weeks.values()];
}

export function sessionEnds(db: Database, params: { start: number; end: number; off: number }): SessionEnds {
  const rows = db.prepare(SQL.sessionEnds).all(params) as { screen: string; hops: number; n: number }[];
  const screens = new Map<string, number>();
  const hops = new Map<string, number>(HOP_BUCKETS.map((b) => [b, 0]));
  let sessions = 0;
  for (const r of rows) {
    sessions += r.n;
    screens.set(r.screen, (screens.get(r.screen) ?? 0) + r.n);
    const bucket = r.hops >= 10 ? '10+' : r.hops >= 5 ? '5-9' : String(r.hops);
    hops.set(bucket, (hops.get(bucket) ?? 0) + r.n);
  }
  const sorted = [...screens]
    .map(([screen, n]) => ({ screen, sessions: n }))
    .sort((a, b) => b.sessions - a.sessions || (a.screen < b.screen ? -1 : 1));
  const shown = sorted.slice(0, SCREENS_SHOWN);
  const rest = sorted.slice(SCREENS_SHOWN).reduce((s, x) => s + x.sessions, 0);
  return {
    sessions,
    screens: rest > 0 ? [...shown, { screen: '(other)', sessions: rest }] : shown,
    hops: [...hops].map(([h, n]) => ({ hops: h, sessions: n })),
  };
}

/** The Monday on or before local day `d` (days since the epoch; day 0, 1970-01-01, was a Thursday). */
export function mondayOf(d: number): number {
  return d - ((((d + 3) % 7) + 7) % 7);
}

function emptyCohort(w: number): Cohort {
  const none = (): Retention => ({ eligible: 0, kept: 0, rate: null });
  return {
    week: new Date(w * 86_400_000).toISOString().slice(0, 10),
    phones: 0,
    day1: none(),
    day7: none(),
    day28: none(),
  };
}
