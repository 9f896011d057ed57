// The SMS driver for Africa's Talking (shared/research/sms-payments.md §1): `POST
// {AT_API_URL}/version1/messaging`, a form (username, to, message, from), headers `apiKey` and
// `Accept: application/json`; success is HTTP 201 with SMSMessageData.Recipients[] carrying each
// number's statusCode (§1.2). One call, one try: it classifies what happened and never retries.
import type { SmsMessage, SmsResult, SmsSender } from './types.ts';

export interface AtSmsOptions {
  username: string;
  apiKey: string;
  /** AT_SMS_FROM: sender id or shortcode; unset, AT's default sender. */
  from?: string;
  /** AT_API_URL: https://api.africastalking.com, or the sandbox host for the 'sandbox' user. */
  baseUrl: string;
  /** One request's limit (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Recipient statuses that AT's own integrations retry (§1.2): the message did not go. */
const RETRYABLE_STATUS = new Set([402, 405, 500, 501, 502]);
/** 100 Processed, 101 Sent, 102 Queued: AT took it. */
const SENT_STATUS = new Set([100, 101, 102]);
/** Connection errors that mean the request never reached AT. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function createAtSmsSender(opts: AtSmsOptions): SmsSender {
  const baseFetch = opts.fetch ?? fetch;
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/version1/messaging`;
  const timeoutMs = opts.timeoutMs ?? 10_000;

  async function send(message: SmsMessage, signal?: AbortSignal): Promise<SmsResult> {
    const body = new URLSearchParams({ username: opts.username, to: message.to, message: message.text });
    if (opts.from) body.set('from', opts.from);
    const limit = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await baseFetch(url, {
        method: 'POST',
        headers: {
          apiKey: opts.apiKey,
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body,
        signal: signal ? AbortSignal.any([signal, limit]) : limit,
      });
    } catch (err) {
      const code = errorCode(err);
      return NOT_SENT_CODES.has(code)
        ? { outcome: 'retry', error: `AT unreachable: ${code}` }
        : { outcome: 'unknown', error: `the request to AT broke: ${code}` };
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      // AT answered and then the connection broke: it may have sent it.
      return { outcome: 'unknown', error: `AT's reply broke off: ${errorCode(err)}` };
    }
    if (res.status >= 500) return { outcome: 'retry', error: `AT answered HTTP ${res.status}` };
    if (res.status !== 201 && res.status !== 200) {
      // 401 a wrong apiKey or username, 400 a bad request: trying again will not help.
      return {
        outcome: 'failed',
        statusCode: res.status,
        error: `AT answered HTTP ${res.status}: ${text.slice(0, 200)}`,
      };
    }
    const recipient = firstRecipient(text);
    if (!recipient)
      return { outcome: 'unknown', error: `AT's reply had no recipient: ${text.slice(0, 200)}` };
    const statusCode = Number(recipient.statusCode);
    const result: SmsResult = {
      outcome: SENT_STATUS.has(statusCode) ? 'sent' : RETRYABLE_STATUS.has(statusCode) ? 'retry' : 'failed',
      statusCode,
      status: String(recipient.status ?? ''),
      ...(typeof recipient.messageId === 'string' && recipient.messageId !== 'None'
        ? { messageId: recipient.messageId }
        : {}),
      ...(typeof recipient.cost === 'string' ? { cost: recipient.cost } : {}),
      ...(Number.isFinite(Number(recipient.messageParts)) ? { parts: Number(recipient.messageParts) } : {}),
    };
    if (result.outcome !== 'sent') result.error = `AT status ${statusCode} ${result.status ?? ''}`.trim();
    return result;
  }

  return { enabled: true, send };
}

interface Recipient {
  statusCode?: unknown;
  status?: unknown;
  messageId?: unknown;
  cost?: unknown;
  messageParts?: unknown;
}

function firstRecipient(text: string): Recipient | null {
  try {
    const body = JSON.parse(text) as { SMSMessageData?: { Recipients?: unknown } };
    const list = body.SMSMessageData?.Recipients;
    return Array.isArray(list) && list.length > 0 ? (list[0] as Recipient) : null;
  } catch {
    return null;
  }
}

/** The socket code of a fetch failure (ECONNREFUSED …), or the error's name. */
function errorCode(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e.cause;
  }
  return err instanceof Error ? err.name : String(err);
}

/** AT's base URL for a username: the sandbox host for 'sandbox' (§1.1). */
export function defaultAtApiUrl(username: string): string {
  return username === 'sandbox' ? 'https://api.sandbox.africastalking.com' : 'https://api.africastalking.com';
}
