// The records store's SQL, run on the SQLite worker thread (sqlite/sqlite-worker.ts): one handler
// per RecordsStore method (records/sqlite.ts calls them by name). Reads use the read-only
// connection, writes the writer, each write one transaction ending with the file's writability
// check (sqlite/file.ts, SIGBUS). Idempotent by construction: ON CONFLICT on the caller's key.
import type { OpenFile } from '../sqlite/file.ts';
import type { PhoneProfile } from '../types.ts';
import { LATEST_PAYMENT_SQL, noticeOf } from './payment-sql.ts';
import type { Subscription } from './types.ts';

/** A phone's row: its language, its subscriptions' end, and its latest payment (issue 14). */
export type PhoneRow = { lang: string | null; until: number | null } & Parameters<typeof noticeOf>[0];

export interface SubscriptionRow {
  id: string;
  phone_hash: string;
  starts_at: number;
  ends_at: number;
  source: Subscription['source'];
  session_id: string;
  reference: string | null;
  created_at: number;
}

export const SUBSCRIPTION_COLUMNS =
  'id, phone_hash, starts_at, ends_at, source, session_id, reference, created_at';

function statements(file: OpenFile) {
  return file.prepared('records', ({ writer, reader }) => {
    const write = <A extends unknown[], R>(fn: (...args: A) => R) =>
      writer.transaction((...args: A) => {
        const result = fn(...args);
        file.guard();
        return result;
      });
    // One statement, so both describe the same moment.
    const phone = reader.prepare<[{ phone: string }], PhoneRow>(
      `SELECT (SELECT lang FROM phones WHERE phone_hash = @phone) AS lang,
              (SELECT max(ends_at) FROM subscriptions WHERE phone_hash = @phone) AS until, p.*
       FROM (SELECT 1) LEFT JOIN (${LATEST_PAYMENT_SQL}) p`,
    );
    const list = reader.prepare<[string], SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE phone_hash = ? ORDER BY starts_at, id`,
    );
    // A late retry of an older choice must not undo a newer one.
    const setLang = writer.prepare<[string, string, number]>(
      `INSERT INTO phones (phone_hash, lang, lang_at) VALUES (?, ?, ?)
       ON CONFLICT (phone_hash) DO UPDATE SET lang = excluded.lang, lang_at = excluded.lang_at
       WHERE excluded.lang_at >= coalesce(phones.lang_at, 0)`,
    );
    const insertSub = writer.prepare(
      `INSERT INTO subscriptions (${SUBSCRIPTION_COLUMNS})
       VALUES (@id, @phoneHash, @startsAt, @endsAt, @source, @sessionId, @reference, @createdAt)
       ON CONFLICT (id) DO NOTHING`,
    );
    const byId = writer.prepare<[string], SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?`,
    );
    return {
      phone,
      list,
      setLanguage: write((phoneHash: string, language: string, at: number) => {
        setLang.run(phoneHash, language, at);
      }),
      addSubscription: write((s: Subscription) => {
        const created = insertSub.run(s).changes === 1;
        return { subscription: fromRow(byId.get(s.id) as SubscriptionRow), created };
      }),
    };
  });
}

export const RECORDS_HANDLERS = {
  'records.getPhone': (file: OpenFile, a: { phoneHash: string }): PhoneProfile => {
    const row = statements(file).phone.get({ phone: a.phoneHash });
    const profile: PhoneProfile = {};
    if (row?.lang) profile.lang = row.lang;
    if (typeof row?.until === 'number') profile.subscribedUntil = row.until;
    return row ? { ...profile, ...noticeOf(row) } : profile;
  },
  'records.setLanguage': (file: OpenFile, a: { phoneHash: string; lang: string; at: number }): null => {
    statements(file).setLanguage.immediate(a.phoneHash, a.lang, a.at);
    return null;
  },
  'records.addSubscription': (file: OpenFile, s: Subscription) =>
    statements(file).addSubscription.immediate(s),
  'records.subscriptions': (file: OpenFile, a: { phoneHash: string }): Subscription[] =>
    statements(file).list.all(a.phoneHash).map(fromRow),
};

/** A subscriptions row as the contract's Subscription (the PostgreSQL driver's too). */
export function fromRow(r: SubscriptionRow): Subscription {
  return {
    id: r.id,
    phoneHash: r.phone_hash,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    source: r.source,
    sessionId: r.session_id,
    reference: r.reference,
    createdAt: r.created_at,
  };
}
