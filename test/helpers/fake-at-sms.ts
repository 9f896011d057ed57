// A fake of Africa's Talking's SMS API on loopback (shared/research/sms-payments.md §1), speaking
// its wire format: `POST /version1/messaging` with a form body (username, to, message, from), the
// `apiKey` header checked, `201` with SMSMessageData.Recipients[] (statusCode, status, messageId,
// cost, number, messageParts), each failure status per number, HTTP 5xx, a connection cut after
// the request, and the delivery-report callbacks AT posts (id, status, phoneNumber, networkCode,
// failureReason, retryCount). Used by the tests and `npm run bench`; imports nothing from vitest:
//   tsx test/helpers/fake-at-sms.ts --port 8025 --api-key KEY --username sandbox
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** AT's recipient statuses (§1.2). */
export const AT_STATUS: Record<number, string> = {
  100: 'Processed',
  101: 'Success',
  102: 'Queued',
  401: 'RiskHold',
  402: 'InvalidSenderId',
  403: 'InvalidPhoneNumber',
  404: 'UnsupportedNumberType',
  405: 'InsufficientBalance',
  406: 'UserInBlacklist',
  407: 'CouldNotRoute',
  500: 'InternalServerError',
  501: 'GatewayError',
  502: 'RejectedByGateway',
};

export interface FakeSms {
  at: number;
  username: string;
  to: string;
  message: string;
  from: string | null;
  /** What the fake answered: the recipient statusCode, or the HTTP status it failed with. */
  statusCode: number;
  messageId: string | null;
  parts: number;
}

/** What the next sends to a number get, in order; after the list runs out: 101 Success. */
export type Behaviour =
  | { statusCode: number } // a recipient status in a 201 reply
  | { http: number } // the whole request fails with this HTTP status
  | { cut: true }; // the request is read, then the connection is destroyed (no reply)

export interface FakeAtSms {
  url: string;
  port: number;
  apiKey: string;
  username: string;
  /** Every request received, accepted or not. */
  requests: FakeSms[];
  /** Messages AT took (a recipient status of 100-102). */
  sent(): FakeSms[];
  /** Queues what the next sends to `to` (or to anyone: '*') get. */
  plan(to: string, ...behaviours: Behaviour[]): void;
  /** Posts a delivery report for `messageId` to `callbackUrl`, as AT does; resolves with the status. */
  report(
    callbackUrl: string,
    messageId: string,
    status: string,
    extra?: { failureReason?: string; networkCode?: string },
  ): Promise<number>;
  close(): Promise<void>;
}

export async function startFakeAtSms(
  opts: { port?: number; apiKey?: string; username?: string; delayMs?: number } = {},
): Promise<FakeAtSms> {
  const apiKey = opts.apiKey ?? 'atsk_test_0123456789abcdef';
  const username = opts.username ?? 'sandbox';
  const requests: FakeSms[] = [];
  const plans = new Map<string, Behaviour[]>();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/version1/messaging') {
      return reply(res, 404, 'text/plain', 'Not Found');
    }
    if (req.headers['apikey'] !== apiKey) {
      return reply(res, 401, 'text/plain', 'The supplied authentication is invalid');
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return reply(res, 400, 'text/plain', 'Request is missing required form field');
    }
    const form = new URLSearchParams(body);
    const to = form.get('to') ?? '';
    const message = form.get('message') ?? '';
    if (form.get('username') !== username) {
      return reply(res, 401, 'text/plain', 'The supplied authentication is invalid');
    }
    if (!to || !message) return reply(res, 400, 'text/plain', 'Request is missing required form field');
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    const behaviour = (plans.get(to) ?? plans.get('*'))?.shift() ?? { statusCode: 101 };
    const parts = segments(message);
    const record: FakeSms = {
      at: Date.now(),
      username,
      to,
      message,
      from: form.get('from'),
      statusCode: 'http' in behaviour ? behaviour.http : 'cut' in behaviour ? 0 : behaviour.statusCode,
      messageId: null,
      parts,
    };
    requests.push(record);
    if ('cut' in behaviour) {
      // The request reached AT; the reply never comes back.
      record.messageId = messageIdFor();
      record.statusCode = 101;
      return void res.socket?.destroy();
    }
    if ('http' in behaviour) return reply(res, behaviour.http, 'text/plain', 'Internal Server Error');
    const code = behaviour.statusCode;
    const ok = code >= 100 && code <= 102;
    record.messageId = ok ? messageIdFor() : null;
    const cost = ok ? `KES ${(0.8 * parts).toFixed(4)}` : '0';
    reply(
      res,
      201,
      'application/json',
      JSON.stringify({
        SMSMessageData: {
          Message: ok ? `Sent to 1/1 Total Cost: ${cost}` : 'Sent to 0/1 Total Cost: 0',
          Recipients: [
            {
              statusCode: code,
              number: to,
              status: AT_STATUS[code] ?? 'Failed',
              cost,
              messageId: record.messageId ?? 'None',
              ...(ok ? { messageParts: parts } : {}),
            },
          ],
        },
      }),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey,
    username,
    requests,
    sent: () => requests.filter((r) => r.statusCode >= 100 && r.statusCode <= 102),
    plan(to, ...behaviours) {
      plans.set(to, [...(plans.get(to) ?? []), ...behaviours]);
    },
    async report(callbackUrl, messageId, status, extra = {}) {
      const sms = requests.find((r) => r.messageId === messageId);
      const res = await fetch(callbackUrl, {
        method: 'POST',
        body: new URLSearchParams({
          id: messageId,
          status,
          phoneNumber: sms?.to ?? '',
          networkCode: extra.networkCode ?? '63902',
          ...(extra.failureReason ? { failureReason: extra.failureReason } : {}),
          retryCount: '0',
        }),
      });
      await res.text();
      return res.status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Parts of a GSM-7 message as AT bills it: 160 septets alone, 153 per part after. */
function segments(message: string): number {
  const ext = /[\^{}\\[~\]|€\f]/g;
  const septets = message.length + (message.match(ext)?.length ?? 0);
  return septets <= 160 ? 1 : Math.ceil(septets / 153);
}

function messageIdFor(): string {
  return `ATXid_${randomBytes(16).toString('hex')}`;
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8025' },
      'api-key': { type: 'string' },
      username: { type: 'string' },
    },
  });
  const fake = await startFakeAtSms({
    port: Number(values.port),
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(values.username ? { username: values.username } : {}),
  });
  process.stdout.write(`fake AT SMS listening on ${fake.url}\n`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
