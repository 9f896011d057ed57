// The thread that owns the report's PostgreSQL connection (pg-bridge.ts): it runs each query it is
// sent, posts the rows, and wakes the report's thread, which sleeps on the shared flag meanwhile.
// One connection, read-only transactions' worth of statements, ended with the report.
import { type MessagePort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { PG_TYPES } from '../postgres/pool.ts';
import type { BridgeReply, BridgeRequest } from './pg-bridge.ts';

const { url, port, shared } = workerData as { url: string; port: MessagePort; shared: SharedArrayBuffer };
const flag = new Int32Array(shared);
const client = new pg.Client({
  connectionString: url,
  types: PG_TYPES,
  application_name: 'ussd-ai-gateway report',
});
// A connection lost between queries: the next query fails and says so; unheard, it would end the thread.
client.on('error', () => {});
const connected = client.connect().then(
  // The report only reads: a slip in its SQL cannot change a row.
  () => client.query('SET default_transaction_read_only = on'),
);

port.on('message', (request: BridgeRequest) => {
  if ('close' in request) {
    void client.end().catch(() => {});
    port.close();
    return;
  }
  connected
    .then(() => client.query(request.text, request.values))
    .then(
      (r): BridgeReply => ({ rows: r.rows as Record<string, unknown>[] }),
      (err: { message?: string; code?: string }): BridgeReply => ({
        error: err.message ?? String(err),
        ...(err.code ? { code: err.code } : {}),
      }),
    )
    .then((reply) => {
      port.postMessage(reply);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
});
