// The SMS boundary (issue 13 §4): sending one message to one phone. Drivers: africastalking.ts
// (AT's SMS API) and off.ts (no credentials: SMS is off). A driver sends once per call and says
// what happened; it never retries: the outbox (delivery/outbox.ts) decides what may be tried again.

export interface SmsMessage {
  /** E.164, e.g. +254711000001. */
  to: string;
  /** GSM-7 text, already fitted to its parts (sms/text.ts). */
  text: string;
}

/**
 * What came of one send:
 * - sent: the provider took it (it may still fail to reach the phone: see delivery reports);
 * - retry: it surely did not go (a refused connection, a 5xx, a retryable status), try again later;
 * - failed: it will never go (e.g. an invalid number, a blacklisted user): do not try again;
 * - unknown: it may or may not have gone (the connection broke after the request was sent); at
 *   most once means it is not tried again.
 */
export interface SmsResult {
  outcome: 'sent' | 'retry' | 'failed' | 'unknown';
  /** The provider's id of the message, for its delivery reports. */
  messageId?: string;
  /** The provider's status code and text (AT: 101 "Success", 403 "InvalidPhoneNumber"). */
  statusCode?: number;
  status?: string;
  parts?: number;
  /** As the provider states it, e.g. "KES 0.8000". */
  cost?: string;
  /** What went wrong, for the log. */
  error?: string;
}

export interface SmsSender {
  /** False for the off driver: nothing is ever sent. */
  readonly enabled: boolean;
  send(message: SmsMessage, signal?: AbortSignal): Promise<SmsResult>;
}

/** A delivery report (AT: POST to the SMS delivery-report URL): final or not. */
export interface SmsReport {
  messageId: string;
  status: string;
  failureReason: string;
  phoneNumber: string;
  networkCode: string;
  retryCount: number | null;
}
