// The SQLite file as the worker thread holds it (sqlite-worker.ts): a write connection and a
// read-only one beside it, opened together (directory created, schema migrated), each handler run
// on them, and closed together after a failure that may have left them unusable. Runs on the
// worker thread only: every call here may sit on the disk for as long as the disk takes.
//
// SIGBUS (issue 15 item 15). In WAL mode every connection maps the `-shm` file shared and writes
// into it at each transaction. When that file is made immutable (chattr +i) under a running
// process, ext4 refuses the next write fault on the mapping with SIGBUS, which kills the whole
// process, whatever thread caused it (reproduced: exit 135). So:
// - before SQLite is called, `guard` checks with access(2) that the `-shm` can be written (EPERM
//   for an immutable file, root included; EACCES, EROFS), and
//   refuses the call otherwise, without touching the connections; the write path checks again
//   just before COMMIT (log/connection.ts), the other place a transaction writes the mapping;
// - the last connection to close checkpoints, which writes the mapping too: the read-only
//   connection is opened after the writer and closed after it, so the writer never closes last,
//   and a read-only connection never checkpoints. Either may then be closed whatever the files
//   are.
// What is left is a window of one COMMIT between the check and SQLite's write (tens of µs), the
// file made immutable exactly then, with its page of the mapping clean: the log's fault suite
// cannot hit it, and nothing in a process can close it short of not mapping the file at all
// (locking_mode=EXCLUSIVE, which no reader, `sqlite3` or the admin report, could then open).
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { DatabaseError } from '../errors.ts';
import { migrate } from '../log/migrations.ts';

/** What a handler is given: the two connections and a per-open cache of prepared statements. */
export interface OpenFile {
  writer: Database;
  /** Read-only; also what keeps the writer from ever being the last connection to close. */
  reader: Database;
  /** `make` runs once per opening of the file; its result (statements) is kept until it closes. */
  prepared<T>(key: string, make: (file: OpenFile) => T): T;
  /** Throws a DatabaseError when a file of the database cannot be written. */
  guard(): void;
}

export type Handler = (file: OpenFile, args: never) => unknown;

export interface SqliteFileOptions {
  path: string;
  busyTimeoutMs: number;
  /** Page cache of each connection, KiB. */
  cacheKib: number;
  onMigrated?: (versions: number[]) => void;
}

export interface SqliteFile {
  /** Opens the file if needed, then runs `handler`. Throws DatabaseError. */
  run<A, R>(handler: (file: OpenFile, args: A) => R, args: A): R;
  /** Checkpoints (when the files can be written) and closes. */
  close(): void;
}

/**
 * SQLite errors after which the connections are kept: a lock passes, and a row refused as data
 * says nothing about them. Any other SQLite error (read-only, I/O, full, gone) may have left them
 * unusable: they are closed and the next call opens the file again. Errors that are not SQLite's
 * (a bad argument) keep them too.
 */
const KEEPS_OPEN = /^SQLITE_(BUSY|LOCKED|CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;
const UNWRITABLE = new Set(['EPERM', 'EACCES', 'EROFS']);
const READER_CACHE_KIB = 256;

export function openSqliteFile(options: SqliteFileOptions): SqliteFile {
  const { path } = options;
  const memory = path === ':memory:';
  // The -shm alone can be a SIGBUS (it is the one file SQLite maps: mmap_size is 0); a database or
  // WAL that cannot be written is an error SQLite reports itself. One access(2) per check.
  const companions = memory ? [] : [`${path}-shm`];
  let open: OpenFile | null = null;

  const guard = () => {
    for (const file of companions) {
      try {
        accessSync(file, constants.W_OK);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
        if (code === 'ENOENT') continue; // not created yet: SQLite creates it writable
        if (UNWRITABLE.has(code)) throw new DatabaseError(code, `${file} cannot be written (${code})`);
        throw new DatabaseError(code, `${file}: ${(err as Error).message}`, { cause: err });
      }
    }
  };

  function openFile(): OpenFile {
    guard();
    if (!memory) mkdirSync(dirname(path), { recursive: true });
    const writer = new BetterSqlite3(path, { timeout: options.busyTimeoutMs });
    let reader: Database | undefined;
    try {
      writer.pragma('journal_mode = WAL');
      writer.pragma('synchronous = NORMAL');
      // The writer only appends (and purges once a day): better-sqlite3's default 16 MB page
      // cache would fill with pages it never reads again, as resident memory (issue 7, RSS target).
      writer.pragma(`cache_size = -${options.cacheKib}`);
      const applied = migrate(writer);
      if (applied.length > 0) options.onMigrated?.(applied);
      reader = memory ? writer : new BetterSqlite3(path, { readonly: true, timeout: options.busyTimeoutMs });
      // The reader only looks up one phone at a time (records on a cache miss).
      reader.pragma(`cache_size = -${READER_CACHE_KIB}`);
      // A first read takes the shared lock a WAL connection then holds while it is open.
      reader.pragma('user_version');
    } catch (err) {
      // The files were writable a moment ago (guard): closing the writer alone is safe here.
      safeClose(reader);
      safeClose(writer);
      throw err;
    }
    const cache = new Map<string, unknown>();
    const file: OpenFile = {
      writer,
      reader,
      guard,
      prepared<T>(key: string, make: (f: OpenFile) => T): T {
        let value = cache.get(key) as T | undefined;
        if (value === undefined) {
          value = make(file);
          cache.set(key, value);
        }
        return value;
      },
    };
    return file;
  }

  function closeFile(checkpoint = false): void {
    if (open === null) return;
    const { writer, reader } = open;
    open = null;
    if (checkpoint) {
      // A clean shutdown leaves the WAL empty; skipped when a file cannot be written (see header).
      try {
        guard();
        writer.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // The rows are committed in the WAL either way; the next open checkpoints it.
      }
    }
    // The writer first, while the reader still holds its shared lock (see the header).
    safeClose(writer);
    if (reader !== writer) safeClose(reader);
  }

  return {
    run(handler, args) {
      try {
        guard();
        open ??= openFile();
        return handler(open, args);
      } catch (err) {
        const code = (err as { code?: unknown })?.code;
        const sqlite = typeof code === 'string' && code.startsWith('SQLITE_');
        if (sqlite && !KEEPS_OPEN.test(code)) closeFile();
        if (err instanceof DatabaseError) throw err;
        const message = err instanceof Error ? err.message : String(err);
        throw new DatabaseError(typeof code === 'string' ? code : 'ERROR', message, { cause: err });
      }
    },
    close: () => closeFile(true),
  };
}

function safeClose(db: Database | undefined): void {
  try {
    db?.close();
  } catch {
    // The connection is being discarded; a failing close has nothing left to protect.
  }
}
