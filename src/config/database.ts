// The config's database section: the log and the records in SQLite (DATABASE_PATH) or PostgreSQL
// (DATABASE_URL, issue 19), their flushing and retention, and how phones are kept in them.
// It must not read process.env nor open a connection: config.ts hands it the values.
import { z } from 'zod';
import { bool, int, optionalSecret } from './fields.ts';

/** The log, its database, and the secrets that guard what it holds. */
export const DATABASE_FIELDS = {
  DATABASE_PATH: z.string().min(1).default('./data/ussd.db'),
  // Issue 19: the log and the records in PostgreSQL, shared by every replica; unset: SQLite.
  DATABASE_URL: z
    .string()
    .transform((v, ctx) => {
      const value = v.trim();
      if (value === '') return undefined;
      const problem = postgresUrlProblem(value);
      if (problem === null) return value;
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    })
    .optional(),
  LOG_FLUSH_MS: int(10, 60_000).default(20),
  LOG_RETENTION_DAYS: int(0, 36_500).default(365),
  LOG_QUEUE_MAX_MB: int(1, 4096).default(64),
  PHONE_HASH_SECRET: optionalSecret(16),
  STORE_PHONE_NUMBERS: bool.default(false),
  ADMIN_TOKEN: optionalSecret(16),
};

/** What is wrong with a DATABASE_URL, or null: postgres://[user[:password]@]host[:port]/database. */
export function postgresUrlProblem(url: string): string | null {
  if (!URL.canParse(url)) return 'must be a URL: postgres://user@host:5432/database';
  const u = new URL(url);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return 'must start with postgres://';
  if (!u.hostname) return 'names no host (postgres://user@host:5432/database)';
  if (u.pathname.replace(/^\//, '') === '') return 'names no database (postgres://user@host:5432/database)';
  return null;
}
