// The real PostgreSQL the tests use (DATABASE_TEST_URL, default postgres://postgres@127.0.0.1:5432/
// postgres; `.ci/run` starts one): each caller gets a schema of its own in the `ussd_test`
// database, made fresh and dropped after, and a DATABASE_URL whose search_path is that schema, so
// test files and tests running at once never see each other's rows. Without PostgreSQL this
// fails loudly (ECONNREFUSED), it never skips.
import pg from 'pg';
import { PG_TYPES } from '../../src/postgres/pool.ts';

const ADMIN_URL = process.env.DATABASE_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TEST_DB = 'ussd_test';
let seq = 0;
let created: Promise<void> | null = null;

export interface TestDatabase {
  /** DATABASE_URL for the gateway: the test database, search_path this schema. */
  url: string;
  schema: string;
  /** Runs SQL in the schema (tests read rows with it). */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** Drops the schema and closes the connection. */
  drop(): Promise<void>;
}

/** The URL of `db` on the test server, with `search_path` set to `schema` when given. */
export function testUrl(db: string, schema?: string, base = ADMIN_URL): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  if (schema) u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function ensureDatabase(): Promise<void> {
  created ??= (async () => {
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEST_DB]);
      if (r.rowCount === 0) {
        // Two test files may race to create it: the loser's "already exists" is fine.
        await admin.query(`CREATE DATABASE ${TEST_DB}`).catch((err: { code?: string }) => {
          if (err.code !== '42P04' && err.code !== '23505') throw err;
        });
      }
    } finally {
      await admin.end();
    }
  })();
  return created;
}

/** A fresh, empty schema on the real PostgreSQL. */
export async function freshDatabase(label = 't'): Promise<TestDatabase> {
  await ensureDatabase();
  const schema = `${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${Date.now().toString(36)}_${++seq}`;
  // Numbers as the gateway reads them (bigint and numeric as JS numbers).
  const client = new pg.Client({ connectionString: testUrl(TEST_DB), types: PG_TYPES });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path = ${schema}`);
  return {
    url: testUrl(TEST_DB, schema),
    schema,
    async query<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []) {
      return (await client.query<T>(sql, values)).rows;
    },
    async drop() {
      try {
        await client.query(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
