// The schema in PostgreSQL: the same numbered migrations as the SQLite file (log/migrations.ts),
// each in its own transaction with the bump of the schema_version row (PostgreSQL's DDL is
// transactional, so a crash leaves a whole version, as PRAGMA user_version does for SQLite). Every
// replica migrates at start; an advisory lock makes the others wait for the first, so three
// gateways booting together apply each migration once. A database newer than this code is refused.
import type pg from 'pg';
import { InteractionLogError } from '../errors.ts';
import { MIGRATIONS, type Migration, postgresDdl } from '../log/migrations.ts';

/** Any 64-bit number no other user of the database locks with: "ussd" in ASCII. */
const MIGRATE_LOCK = 0x75737364;

/** Brings the database up to the last migration; returns the versions applied. */
export async function migratePostgres(
  client: pg.ClientBase,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const latest = migrations.at(-1)?.version ?? 0;
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const current = await postgresVersion(client);
    if (current > latest) {
      throw new InteractionLogError(
        `database schema is version ${current}, newer than this code knows (${latest}): upgrade the gateway`,
      );
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      try {
        await client.query('BEGIN');
        await client.query(postgresDdl(m));
        await client.query('DELETE FROM schema_version');
        await client.query('INSERT INTO schema_version (version) VALUES ($1)', [m.version]);
        await client.query('COMMIT');
      } catch (cause) {
        await client.query('ROLLBACK').catch(() => {});
        throw new InteractionLogError(`migration ${m.version} (${m.name}) failed on PostgreSQL`, { cause });
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => {});
  }
}

/** The schema version of the database (0 when it has none). */
export async function postgresVersion(client: pg.ClientBase): Promise<number> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_version') AS t`);
  if (exists.rows[0]?.t == null) return 0;
  const r = await client.query<{ version: number }>('SELECT max(version) AS version FROM schema_version');
  return Number(r.rows[0]?.version ?? 0);
}
