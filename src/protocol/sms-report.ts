// AT's SMS delivery report (shared/research/sms-payments.md §1.3): a form with `id` (the
// messageId of the send), `status` (Sent, Submitted, Buffered, Rejected, Success, Failed),
// `phoneNumber`, `networkCode`, `failureReason` (with Rejected/Failed only) and sometimes
// `retryCount`. Parsed leniently (reports can repeat or come late); pure.
import type { SmsReport } from '../sms/types.ts';

const FIELD_MAX = 200;

export function parseSmsReport(form: URLSearchParams): SmsReport | { error: string } {
  const get = (k: string) => (form.get(k) ?? '').trim().slice(0, FIELD_MAX);
  const messageId = get('id');
  const status = get('status');
  if (!messageId) return { error: 'missing field: id' };
  if (!status) return { error: 'missing field: status' };
  const retry = get('retryCount');
  return {
    messageId,
    status,
    failureReason: get('failureReason'),
    phoneNumber: get('phoneNumber'),
    networkCode: get('networkCode'),
    retryCount: /^\d{1,6}$/.test(retry) ? Number(retry) : null,
  };
}
