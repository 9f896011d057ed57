// The admin's report, built on a worker thread (report-worker.ts) so that an operator opening
// /admin on a log of months never stalls the hops being answered: buildReport on the event loop
// took 190 ms for 40,000 sessions, seconds for a million. The CLI (`npm run report`) builds it in
// process; it serves no hops.
import { Worker } from 'node:worker_threads';
import { InteractionLogError } from '../errors.ts';
import type { Report, ReportOptions } from './report.ts';

/** Where a report reads the log: the SQLite file, or PostgreSQL (issue 19; pg-bridge.ts). */
export type ReportSource = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** What the worker is started with. */
export interface ReportJob {
  source: ReportSource;
  options: ReportOptions;
}

export type ReportReply = { report: Report } | { error: string };

/** A report that takes longer than this is abandoned (its worker terminated) and answered 503. */
export const REPORT_TIMEOUT_MS = 60_000;
/**
 * The worker's heap. The report's counting is SQLite's (temporary B-trees, spilled to disk); what
 * grows in JS is the window's questions for the topics. Past this the worker alone fails (503),
 * never the gateway serving hops beside it.
 */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 512 };

// Under tsx (development, tests) the worker is the .ts source; in the `npm run build` bundle it is
// report-worker.js beside main.js.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './report-worker.ts' : './report-worker.js',
  import.meta.url,
);

function startWorker(job: ReportJob): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts'))
    return new Worker(WORKER_URL, { workerData: job, resourceLimits: RESOURCE_LIMITS });
  // The TypeScript source: tsx's loader is registered in the worker first (a worker inherits
  // neither tsx's nor vitest's, and Node 20 ignores --import in a worker's execArgv).
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { eval: true, workerData: job, resourceLimits: RESOURCE_LIMITS });
}

/** Builds the report of the log (an SQLite file's path, or a source) on a worker thread. Rejects with InteractionLogError. */
export function buildReportInWorker(
  from: string | ReportSource,
  options: ReportOptions,
  timeoutMs = REPORT_TIMEOUT_MS,
): Promise<Report> {
  return new Promise((resolve, reject) => {
    const source: ReportSource = typeof from === 'string' ? { kind: 'sqlite', path: from } : from;
    const job: ReportJob = { source, options };
    const worker = startWorker(job);
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (message: string, cause?: unknown) =>
      settle(() => reject(new InteractionLogError(message.replace(/^\[log\] /, ''), { cause })));
    const timer = setTimeout(() => {
      fail(`the report took longer than ${timeoutMs} ms`);
      void worker.terminate();
    }, timeoutMs);
    worker.once('message', (reply: ReportReply) => {
      if ('report' in reply) settle(() => resolve(reply.report));
      else fail(reply.error);
    });
    worker.once('error', (err) => fail(`the report worker failed: ${err.message}`, err));
    worker.once('exit', (code) => fail(`the report worker exited (code ${code}) without a report`));
  });
}
