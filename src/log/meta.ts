// Facts about the log file itself, kept in it (the meta table, migration 5): today one, whether it
// was ever written with the built-in development PHONE_HASH_SECRET, whose hashes can be reversed
// (issue 15), so that the report and /admin can say so for as long as the file exists. Small
// synchronous statements on a connection the caller owns.
import type { Database } from 'better-sqlite3';

const DEV_SECRET_SINCE = 'dev_phone_hash_secret_since';

/** Records, once (the first time is kept), that rows from `at` on were hashed with the dev secret. */
export function markDevSecret(db: Database, at: number): void {
  db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(DEV_SECRET_SINCE, String(at));
}

/** When the file was first written with the development secret, or null if it never was. */
export function devSecretSince(db: Database): number | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(DEV_SECRET_SINCE) as
    | { value: string }
    | undefined;
  const at = Number(row?.value);
  return row !== undefined && Number.isFinite(at) ? at : null;
}
