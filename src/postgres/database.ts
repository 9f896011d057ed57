// The process's PostgreSQL (DATABASE_URL): the pool (pool.ts) and the schema, migrated once before
// the first call that needs it (migrate.ts), by whichever of the log and the records store comes
// first. A migration that failed (the server down at start) is tried again by the next call, so a
// gateway started while PostgreSQL is down starts anyway, and writes once it is up.
import { PostgresError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { migratePostgres } from './migrate.ts';
import { createPgPool, type PgPool } from './pool.ts';

export interface Postgres extends PgPool {
  readonly url: string;
  /** Resolves once the schema is current; rejects (to be called again) if it cannot be by `deadline`. */
  ready(deadline: number): Promise<void>;
}

/** A migration's own bound: adding an index to a big table takes what it takes. */
const MIGRATE_MS = 120_000;

export function createPostgres(options: { url: string; logger: Logger; max?: number }): Postgres {
  const pool = createPgPool(options);
  const log = options.logger.child({ layer: 'postgres' });
  let migrated: Promise<void> | null = null;

  const migrate = () => {
    migrated ??= pool
      .withClient((c) => migratePostgres(c), Date.now() + MIGRATE_MS, 'migrate')
      .then((applied) => {
        if (applied.length > 0) log.info({ applied }, '[log] PostgreSQL schema migrated');
      })
      .catch((err: unknown) => {
        migrated = null;
        throw err;
      });
    return migrated;
  };

  return {
    ...pool,
    url: options.url,
    async ready(deadline) {
      const done = migrate();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          done,
          new Promise((_, reject) => {
            // A deadline, said as one (a timer may fire a millisecond before Date.now() reaches it,
            // so the caller cannot tell by the clock).
            timer = setTimeout(
              () => reject(new PostgresError('DEADLINE', 'the schema is not migrated yet')),
              deadline - Date.now(),
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
