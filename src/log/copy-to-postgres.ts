// A box's SQLite history copied into PostgreSQL (issue 19 item 2, `npm run log:migrate`): every
// table of the file, in chunks of rows in rowid order, each chunk one multi-row INSERT … ON
// CONFLICT DO NOTHING committed together with how far the copy got (log_copies), so that a copy
// interrupted at any point resumes where it stopped and a copy run twice doubles nothing. Rows
// without an id of their own (hops, feedback, tier events, SMS) get `<file id>.<table>.<rowid>`,
// the file's id being its own (migration 11), so two boxes' rows never collide; PostgreSQL gives
// them its own serial ids. A phone's language is the latest choice of either side. The columns
// come from the file's own tables, so the copy follows the schema as migrations change it.
// Runs in a CLI (no hops served): the file is read synchronously, the database asynchronously.
import type { Database } from 'better-sqlite3';
import type pg from 'pg';
import { InteractionLogError } from '../errors.ts';

export interface CopyProgress {
  table: string;
  /** Rows of the table copied so far (this run and earlier ones), and in all. */
  done: number;
  total: number;
  /** Rows this run has sent, all tables. */
  sent: number;
}

export interface CopyResult {
  fileId: string;
  /** Rows read from the file and sent this run, by table (a resumed run sends only the rest). */
  sent: Record<string, number>;
  ms: number;
}

/** Tables in the order copied; `uid`: rows keyed by a made id (PostgreSQL numbers them itself). */
const TABLES: readonly { name: string; uid?: string; conflict: string }[] = [
  { name: 'sessions', conflict: 'ON CONFLICT DO NOTHING' },
  { name: 'hops', uid: 'h', conflict: 'ON CONFLICT DO NOTHING' },
  { name: 'questions', conflict: 'ON CONFLICT DO NOTHING' },
  { name: 'feedback', uid: 'f', conflict: 'ON CONFLICT DO NOTHING' },
  { name: 'tier_events', uid: 't', conflict: 'ON CONFLICT DO NOTHING' },
  { name: 'deliveries', conflict: 'ON CONFLICT DO NOTHING' },
  { name: 'sms', uid: 's', conflict: 'ON CONFLICT DO NOTHING' },
  {
    name: 'phones',
    conflict: `ON CONFLICT (phone_hash) DO UPDATE SET lang = excluded.lang, lang_at = excluded.lang_at
      WHERE excluded.lang_at >= coalesce(t.lang_at, 0)`,
  },
  { name: 'subscriptions', conflict: 'ON CONFLICT DO NOTHING' },
  { name: 'payments', conflict: 'ON CONFLICT DO NOTHING' },
];

const PG_TYPE: Record<string, string> = { INTEGER: 'bigint', REAL: 'float8', TEXT: 'text' };

export async function copyToPostgres(
  file: Database,
  client: pg.ClientBase,
  options: { chunk?: number; onProgress?: (p: CopyProgress) => void } = {},
): Promise<CopyResult> {
  const started = Date.now();
  const chunk = options.chunk ?? 5_000;
  const fileId = (
    file.prepare(`SELECT value FROM meta WHERE key = 'file_id'`).get() as { value: string } | undefined
  )?.value;
  if (!fileId) throw new InteractionLogError('the SQLite file has no file_id (start the gateway on it once)');
  await client.query(`CREATE TABLE IF NOT EXISTS log_copies (
    file_id TEXT NOT NULL, table_name TEXT NOT NULL, last_rowid BIGINT NOT NULL, copied BIGINT NOT NULL,
    PRIMARY KEY (file_id, table_name))`);
  // The development-secret mark travels with the rows it describes (the report says so).
  const dev = file.prepare(`SELECT value FROM meta WHERE key = 'dev_phone_hash_secret_since'`).get() as
    | { value: string }
    | undefined;
  if (dev)
    await client.query(
      `INSERT INTO meta (key, value) VALUES ('dev_phone_hash_secret_since', $1) ON CONFLICT (key) DO NOTHING`,
      [dev.value],
    );

  const sent: Record<string, number> = {};
  let sentAll = 0;
  for (const table of TABLES) {
    const columns = (
      file.prepare(`PRAGMA table_info(${table.name})`).all() as { name: string; type: string }[]
    )
      .filter((c) => !(table.uid && c.name === 'id'))
      .map((c) => ({ name: c.name, type: PG_TYPE[c.type.toUpperCase()] ?? 'text' }));
    const names = [...columns.map((c) => c.name), ...(table.uid ? ['uid'] : [])];
    const casts = [...columns.map((c) => c.type), ...(table.uid ? ['text'] : [])]
      .map((t, i) => `$${i + 1}::${t}[]`)
      .join(', ');
    const insert = `INSERT INTO ${table.name} AS t (${names.join(', ')}) SELECT * FROM unnest(${casts}) ${table.conflict}`;
    const read = file.prepare(
      `SELECT rowid AS _rowid, ${columns.map((c) => c.name).join(', ')} FROM ${table.name}
       WHERE rowid > ? ORDER BY rowid LIMIT ?`,
    );
    const total = (file.prepare(`SELECT count(*) AS n FROM ${table.name}`).get() as { n: number }).n;
    const at = await client.query<{ last_rowid: number; copied: number }>(
      'SELECT last_rowid, copied FROM log_copies WHERE file_id = $1 AND table_name = $2',
      [fileId, table.name],
    );
    let last = Number(at.rows[0]?.last_rowid ?? 0);
    let copied = Number(at.rows[0]?.copied ?? 0);
    sent[table.name] = 0;
    options.onProgress?.({ table: table.name, done: copied, total, sent: sentAll });
    for (;;) {
      const rows = read.all(last, chunk) as Record<string, unknown>[];
      if (rows.length === 0) break;
      const arrays: unknown[][] = names.map(() => []);
      for (const row of rows) {
        for (const [i, c] of columns.entries()) (arrays[i] as unknown[]).push(clean(row[c.name]));
        if (table.uid) (arrays[columns.length] as unknown[]).push(`${fileId}.${table.uid}.${row['_rowid']}`);
      }
      const from = last;
      last = Number(rows.at(-1)?.['_rowid']);
      copied += rows.length;
      // The chunk and the mark of how far the copy got commit together: a resumed copy starts after it.
      await client.query('BEGIN');
      try {
        await client.query(insert, arrays);
        await client.query(
          `INSERT INTO log_copies (file_id, table_name, last_rowid, copied) VALUES ($1, $2, $3, $4)
           ON CONFLICT (file_id, table_name) DO UPDATE SET last_rowid = excluded.last_rowid, copied = excluded.copied`,
          [fileId, table.name, last, copied],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new InteractionLogError(`copying ${table.name} (rows after rowid ${from}) failed`, {
          cause: err,
        });
      }
      sent[table.name] = (sent[table.name] ?? 0) + rows.length;
      sentAll += rows.length;
      options.onProgress?.({ table: table.name, done: Math.min(copied, total), total, sent: sentAll });
    }
  }
  return { fileId, sent, ms: Date.now() - started };
}

/** PostgreSQL's text cannot hold NUL (SQLite's can); the live driver writes U+FFFD for it too. */
function clean(v: unknown): unknown {
  return typeof v === 'string' && v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;
}
