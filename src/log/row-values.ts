// A log row's values in the column order both drivers' statements name them (SQLite's
// statements.ts, PostgreSQL's postgres-rows.ts and postgres-batch.ts), and the fold of a batch's
// hops into sessions rows: one definition, so the two databases can never count a session apart.
// Pure: no statement, no connection.
import type { HopRow } from './types.ts';

/** A hop's columns after its id: at, session, phone hash, input, text, screen, lang, reply kind, reply, latency, outcome. */
export function hopColumns(r: HopRow): (string | number | null)[] {
  return [
    int(r.at),
    r.sessionId,
    r.phoneHash,
    r.input,
    r.text,
    r.screen,
    r.lang,
    r.replyKind,
    r.reply,
    int(r.latencyMs),
    r.outcome,
  ];
}

/** What a batch's hops do to one sessions row. */
export interface SessionTouch {
  sessionId: string;
  firstAt: number;
  lastAt: number;
  phoneHash: string;
  phone: string | null;
  serviceCode: string;
  networkCode: string | null;
  hops: number;
  lastScreen: string;
  lang: string;
}

/**
 * Folds hops, in the order given, per session, as upserting them one by one would: the first
 * hop's phone hash and service code, the first network code and the last phone given, the count,
 * the earliest and latest time, and the screen and language of the latest hop (of the later one
 * on a tie). Pure.
 */
export function sessionTouches(hops: readonly HopRow[]): SessionTouch[] {
  const bySession = new Map<string, SessionTouch>();
  for (const r of hops) {
    const at = int(r.at);
    const t = bySession.get(r.sessionId);
    if (t === undefined) {
      bySession.set(r.sessionId, {
        sessionId: r.sessionId,
        firstAt: at,
        lastAt: at,
        phoneHash: r.phoneHash,
        phone: r.phone ?? null,
        serviceCode: r.serviceCode,
        networkCode: r.networkCode ?? null,
        hops: 1,
        lastScreen: r.screen,
        lang: r.lang,
      });
      continue;
    }
    t.hops++;
    if (at < t.firstAt) t.firstAt = at;
    if (at >= t.lastAt) {
      t.lastAt = at;
      t.lastScreen = r.screen;
      t.lang = r.lang;
    }
    if (r.phone !== undefined) t.phone = r.phone;
    if (t.networkCode === null && r.networkCode !== undefined) t.networkCode = r.networkCode;
  }
  return [...bySession.values()];
}

/** A sessions row's columns, as the touch statements of both drivers take them. */
export function touchColumns(t: SessionTouch): (string | number | null)[] {
  return [
    t.sessionId,
    t.firstAt,
    t.lastAt,
    t.phoneHash,
    t.phone,
    t.serviceCode,
    t.networkCode,
    t.hops,
    t.lastScreen,
    t.lang,
  ];
}

/** Rounded, and 0 for what is not finite: a caller's 12.5 ms never becomes a type error in a STRICT table. */
export function int(v: number): number {
  return Number.isFinite(v) ? Math.round(v) : 0;
}

export function intOrNull(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : Math.round(v);
}
