// A read-only connection to the interaction log, for the report CLI and the admin page: separate
// from the writer's, never migrates and never writes (WAL lets it read while the gateway writes).
import { accessSync, constants, existsSync } from 'node:fs';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { InteractionLogError } from '../errors.ts';
import { SCHEMA_VERSION, userVersion } from '../log/migrations.ts';
import { BUSY_TIMEOUT_MS } from '../sqlite/thread.ts';

const READ_CACHE_KIB = 2048;

/**
 * Opens `path` read-only. Throws InteractionLogError when it is missing or not a current log file.
 * `inGateway`: the caller shares the process with the gateway's SQLite worker, whose connections
 * map the `-shm` file writable; a read transaction writes into that mapping too, and into the
 * mapping of a file made immutable since, the kernel answers with SIGBUS, which would kill the
 * gateway (issue 15 item 15, sqlite/file.ts). So the report is refused while it cannot be written.
 */
export function openLogReadOnly(path: string, options: { inGateway?: boolean } = {}): Database {
  if (!existsSync(path)) {
    throw new InteractionLogError(`no database at ${path} (set DATABASE_PATH or pass --db)`);
  }
  if (options.inGateway) refuseUnwritable(path);
  let db: Database;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (cause) {
    throw new InteractionLogError(`cannot open ${path} read-only`, { cause });
  }
  // A report scans once: a small page cache keeps its memory small (a million sessions, 28 days:
  // the gateway's peak RSS 234 -> 174 MB with 2 MB instead of better-sqlite3's 16 MB, as fast).
  db.pragma(`cache_size = -${READ_CACHE_KIB}`);
  let version: number;
  try {
    version = userVersion(db);
  } catch (cause) {
    db.close();
    throw new InteractionLogError(`${path} is not an SQLite database`, { cause });
  }
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new InteractionLogError(
      version === 0
        ? `${path} is not an interaction log (no schema)`
        : `${path} has schema version ${version}, this code reads ${SCHEMA_VERSION}: ${
            version < SCHEMA_VERSION ? 'start the gateway once to upgrade it' : 'upgrade this code'
          }`,
    );
  }
  return db;
}

function refuseUnwritable(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      accessSync(file, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      throw new InteractionLogError(`${file} cannot be written (${code}): no report until it can`, {
        cause: err,
      });
    }
  }
}
