// The real server process for the fault suite (issue 8): started with the suite's limits and its
// log in a fresh temp dir, its /readyz, rows counted straight from its SQLite file, and the lines
// of its output that show a crash. Nothing here injects a fault.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type GatewayProcess, startGateway } from '../helpers/gateway-process.ts';
import { FAULT_ENV, sleep, until } from './support.ts';

export interface FaultGateway extends GatewayProcess {
  dbPath: string;
  dir: string;
  readyz(): Promise<{ status: number; body: Readiness }>;
  /** SIGTERM if still running; resolves once it is gone. */
  halt(): Promise<void>;
  /** Stops the process (if running) and removes its directory. */
  dispose(): Promise<void>;
}

export interface Readiness {
  ready: boolean;
  sessions: { ok: boolean; detail: string };
  sqlite: { ok: boolean; queued: number; failures: number; written: number; detail?: string };
  ollama: { ok: boolean; detail: string };
}

/** The real server (`tsx src/main.ts`) with the suite's limits, its log in a fresh temp dir. */
export async function startFaultGateway(
  env: Record<string, string> = {},
  dir = mkdtempSync(join(tmpdir(), 'ussd-fault-')),
): Promise<FaultGateway> {
  const dbPath = env['DATABASE_PATH'] ?? join(dir, 'ussd.db');
  const gw = await startGateway({ ...FAULT_ENV, DATABASE_PATH: dbPath, ...env });
  const halt = async () => {
    // A process killed by a signal has exitCode null (signalCode set): stop() would wait forever.
    if (gw.child.exitCode === null && gw.child.signalCode === null) await gw.stop(5_000);
  };
  return {
    ...gw,
    dbPath,
    dir,
    async readyz() {
      const res = await fetch(`${gw.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      return { status: res.status, body: (await res.json()) as Readiness };
    },
    halt,
    async dispose() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rows in a table of the log file (read-only connection; the gateway may still be writing). */
export function countRows(
  dbPath: string,
  sql = 'SELECT count(*) AS n FROM hops',
  ...params: unknown[]
): number {
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true, timeout: 1_000 });
  try {
    return (db.prepare(sql).get(...params) as { n: number }).n;
  } finally {
    db.close();
  }
}

export function queryRows<T>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true, timeout: 1_000 });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/**
 * Waits until the log holds `expected` rows (hops by default, or what `sql` counts) or `timeoutMs`
 * passes, then a little longer so that a doubled row would show; returns the count found.
 */
export async function settledRows(
  dbPath: string,
  expected: number,
  options: { sql?: string; params?: unknown[]; timeoutMs?: number } = {},
): Promise<number> {
  const { sql = 'SELECT count(*) AS n FROM hops', params = [], timeoutMs = 10_000 } = options;
  const read = () => {
    try {
      return countRows(dbPath, sql, ...params);
    } catch {
      return -1; // not created yet, or still locked/unreadable by the fault
    }
  };
  await until(() => read() >= expected, timeoutMs).catch(() => {});
  await sleep(300);
  return read();
}

/**
 * Lines of the gateway's output that show a crash, a promise nobody handled, or an error that
 * escaped the hop funnel into Hono's last-resort handler (app.ts onError).
 */
export function crashLines(output: string): string[] {
  return output
    .split('\n')
    .filter((l) =>
      /unhandled rejection|unhandled error|UnhandledPromiseRejection|uncaughtException|Uncaught|FATAL|"level":60/i.test(
        l,
      ),
    );
}
