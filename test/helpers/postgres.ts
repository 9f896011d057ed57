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

export interface TestDatabase {
  /** DATABASE_URL for the gateway: the test database, search_path this schema. */
  url: string;
  schema: string;
  /** Runs SQL in the schema (tests read rows with it). */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** Drops the schema. */
  drop(): Promise<void>;
}

/** The URL of `db` on the test server, with `search_path` set to `schema` when given. */
export function testUrl(db: string, schema?: string, base = ADMIN_URL): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  if (schema) u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

const created = new Map<string, Promise<void>>();

/** Creates the test database on the server of `admin` once (two test files may race: fine). */
function ensureDatabase(admin: string): Promise<void> {
  let done = created.get(admin);
  if (done === undefined) {
    done = (async () => {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEST_DB]);
        if (r.rowCount === 0) {
          await client.query(`CREATE DATABASE ${TEST_DB}`).catch((err: { code?: string }) => {
            if (err.code !== '42P04' && err.code !== '23505') throw err;
          });
        }
      } finally {
        await client.end();
      }
    })();
    created.set(admin, done);
  }
  return done;
}

/** A fresh, empty schema on the real PostgreSQL (or on the server of `admin`, a private one). */
export async function freshDatabase(label = 't', admin = ADMIN_URL): Promise<TestDatabase> {
  await ensureDatabase(admin);
  const schema = `${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${Date.now().toString(36)}_${++seq}`;
  const url = testUrl(TEST_DB, schema, admin);
  // A connection per call: a private server stopped and started by a fault test is read after.
  const run = async <T extends pg.QueryResultRow>(sql: string, values: unknown[] = []) => {
    // Numbers as the gateway reads them (bigint and numeric as JS numbers).
    const client = new pg.Client({ connectionString: url, types: PG_TYPES });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  };
  await run(`CREATE SCHEMA ${schema}`);
  return {
    url,
    schema,
    query: run,
    async drop() {
      await run(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}
