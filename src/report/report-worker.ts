// The worker thread that builds one admin report (report-thread.ts): it opens the log read-only,
// builds the report, posts it back, and ends. A report reads every session of the window and the
// first-ever day of each phone, seconds of SQLite on a file of months; here that time is off the
// event loop that answers hops. On PostgreSQL the report's queries go through pg-bridge.ts, and
// read the same SQL.
import { parentPort, workerData } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { openPostgresReadOnly } from './pg-bridge.ts';
import { openLogReadOnly } from './read.ts';
import { buildReport } from './report.ts';
import type { ReportJob, ReportReply } from './report-thread.ts';

const job = workerData as ReportJob;
let reply: ReportReply;
try {
  const { source } = job;
  // The bridge answers the calls the report makes (prepare, all, get, pluck) as better-sqlite3 does.
  const db =
    source.kind === 'postgres'
      ? (openPostgresReadOnly(source.url) as unknown as Database)
      : openLogReadOnly(source.path, { inGateway: true });
  try {
    reply = { report: buildReport(db, job.options) };
  } finally {
    db.close();
  }
} catch (err) {
  reply = { error: err instanceof Error ? err.message : String(err) };
}
parentPort?.postMessage(reply);
