// The worker thread that owns the SQLite file (thread.ts starts it): every SQLite call the gateway
// makes while serving runs here, one at a time, so a disk that stalls for seconds stalls this
// thread and never the event loop that answers hops (issue 15 item 8). It runs what it is asked by
// name (HANDLERS) and answers each request once; a request whose caller's deadline has passed is
// not run at all, so a write the caller gave up on cannot land later.
import { parentPort, workerData } from 'node:worker_threads';
import { LOG_HANDLERS } from '../log/connection.ts';
import { PAYMENT_HANDLERS } from '../records/payment-sql.ts';
import { RECORDS_HANDLERS } from '../records/sqlite-handlers.ts';
import { type Handler, type OpenFile, openSqliteFile } from './file.ts';
import type { ThreadOptions, ThreadReply, ThreadRequest } from './thread.ts';

const HANDLERS: Record<string, Handler> = {
  /** Opens the file (and migrates it) if it is not open. */
  open: () => null,
  ...LOG_HANDLERS,
  ...RECORDS_HANDLERS,
  ...PAYMENT_HANDLERS,
};

const options = workerData as ThreadOptions;
const port = parentPort;
if (port === null) throw new Error('sqlite-worker.ts runs on a worker thread only');

const post = (reply: ThreadReply) => port.postMessage(reply);
const file = openSqliteFile({
  path: options.path,
  busyTimeoutMs: options.busyTimeoutMs,
  cacheKib: options.cacheKib,
  onMigrated: (applied) =>
    post({ log: { level: 'info', msg: '[log] schema migrated', fields: { applied } } }),
});

port.on('message', (request: ThreadRequest) => {
  if (request.op === 'close') {
    file.close();
    post({ id: request.id, ok: true, value: null });
    port.close();
    return;
  }
  if (request.notAfter > 0 && Date.now() > request.notAfter) {
    post({
      id: request.id,
      ok: false,
      code: 'DEADLINE',
      message: `${request.op}: its deadline passed first`,
    });
    return;
  }
  const handler = HANDLERS[request.op];
  if (handler === undefined) {
    post({ id: request.id, ok: false, code: 'ERROR', message: `no such operation: ${request.op}` });
    return;
  }
  try {
    const value = file.run(handler as (f: OpenFile, a: unknown) => unknown, request.args);
    post({ id: request.id, ok: true, value });
  } catch (err) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    post({
      id: request.id,
      ok: false,
      code: typeof code === 'string' ? code : 'ERROR',
      message: typeof message === 'string' ? message : String(err),
    });
  }
});
