// Daraja's wire format as pure functions: the signed fields, the phone and amount, and the reading
// of callbacks (real payload shapes, as the fake Daraja posts them) and of query answers.
import { describe, expect, it } from 'vitest';
import {
  darajaPassword,
  darajaTimestamp,
  failureOf,
  isStillProcessing,
  parseQueryAnswer,
  parseStkCallback,
  priceAmount,
  toMsisdn,
} from '../../src/payments/daraja-wire.ts';

const success = {
  Body: {
    stkCallback: {
      MerchantRequestID: '29115-34620561-1',
      CheckoutRequestID: 'ws_CO_191220191020363925',
      ResultCode: 0,
      ResultDesc: 'The service request is processed successfully.',
      CallbackMetadata: {
        Item: [
          { Name: 'Amount', Value: 1.0 },
          { Name: 'MpesaReceiptNumber', Value: 'NLJ7RT61SV' },
          { Name: 'Balance' },
          { Name: 'TransactionDate', Value: 20191219102115 },
          { Name: 'PhoneNumber', Value: 254708374149 },
        ],
      },
    },
  },
};
const cancelled = {
  Body: {
    stkCallback: {
      MerchantRequestID: 'f1e2-4b95-a71d-b30d3cdbb7a7942864',
      CheckoutRequestID: 'ws_CO_21072024125243250722943992',
      ResultCode: 1032,
      ResultDesc: 'Request cancelled by user',
    },
  },
};

describe('Daraja wire format', () => {
  it('stamps requests in Nairobi time (UTC+3) and signs them', () => {
    expect(darajaTimestamp(Date.UTC(2024, 0, 1, 22, 5, 9))).toBe('20240102010509');
    expect(darajaPassword('174379', 'pk', '20240102010509')).toBe(
      Buffer.from('174379pk20240102010509').toString('base64'),
    );
  });

  it.each([
    ['+254711000001', '254711000001'],
    ['254711000001', '254711000001'],
    ['+254110000001', '254110000001'],
    ['+255711000001', null],
    ['+25471100000', null],
    ['0711000001', null],
  ])('takes %s as the M-Pesa number %s', (phone, msisdn) => {
    expect(toMsisdn(phone)).toBe(msisdn);
  });

  it.each([
    ['KES 20', 20],
    ['Ksh 50', 50],
    ['KSh. 10', 10],
    ['20', 20],
    ['KES 250000', 250_000],
    ['KES 20.50', null],
    ['KES 0', null],
    ['USD 1', null],
    ['KES 300000', null],
    ['free', null],
  ])('reads the price %s as %s whole shillings', (price, amount) => {
    expect(priceAmount(price)).toBe(amount);
  });

  it('maps result codes to why a payment failed', () => {
    expect([1032, 1037, 2001, 1, 17, 9999].map(failureOf)).toEqual([
      'cancelled',
      'no-answer',
      'wrong-pin',
      'insufficient',
      'other',
      'other',
    ]);
  });

  it('reads a successful callback with its amount, receipt and phone', () => {
    expect(parseStkCallback(success)).toEqual({
      ok: true,
      merchantRequestId: '29115-34620561-1',
      verdict: {
        kind: 'paid',
        checkoutRequestId: 'ws_CO_191220191020363925',
        amount: 1,
        receipt: 'NLJ7RT61SV',
        msisdn: '254708374149',
        resultDesc: 'The service request is processed successfully.',
      },
    });
  });

  it('reads a failed callback, which has no metadata', () => {
    expect(parseStkCallback(cancelled)).toMatchObject({
      ok: true,
      verdict: {
        kind: 'failed',
        failure: 'cancelled',
        resultCode: 1032,
        resultDesc: 'Request cancelled by user',
      },
    });
  });

  it.each([
    ['nothing', null],
    ['a string', 'Body'],
    ['no stkCallback', { Body: {} }],
    [
      'no CheckoutRequestID',
      { Body: { stkCallback: { ...cancelled.Body.stkCallback, CheckoutRequestID: '' } } },
    ],
    [
      'a ResultCode that is no number',
      { Body: { stkCallback: { ...cancelled.Body.stkCallback, ResultCode: 'x' } } },
    ],
    [
      'a success without metadata',
      { Body: { stkCallback: { ...success.Body.stkCallback, CallbackMetadata: undefined } } },
    ],
    [
      'a success without a receipt',
      {
        Body: {
          stkCallback: {
            ...success.Body.stkCallback,
            CallbackMetadata: {
              Item: [
                { Name: 'Amount', Value: 20 },
                { Name: 'PhoneNumber', Value: 254708374149 },
              ],
            },
          },
        },
      },
    ],
  ])('refuses %s as a callback', (_name, body) => {
    expect(parseStkCallback(body).ok).toBe(false);
  });

  it('reads the query: ResultCode a string, "being processed" an HTTP 500', () => {
    const answer = (code: string) => ({
      ResponseCode: '0',
      ResponseDescription: 'The service request has been accepted successsfully',
      MerchantRequestID: '22205-34066-1',
      CheckoutRequestID: 'ws_CO_13012021093521236557',
      ResultCode: code,
      ResultDesc: 'x',
    });
    expect(parseQueryAnswer('ws_1', answer('0'))).toMatchObject({ kind: 'paid', receipt: null });
    expect(parseQueryAnswer('ws_1', answer('1037'))).toMatchObject({ kind: 'failed', failure: 'no-answer' });
    expect(parseQueryAnswer('ws_1', { errorCode: '500.001.1001' })).toBeNull();
    const processing = {
      requestId: '16712-79390-1',
      errorCode: '500.001.1001',
      errorMessage: 'The transaction is being processed',
    };
    expect(isStillProcessing(500, processing)).toBe(true);
    expect(isStillProcessing(500, { ...processing, errorMessage: 'Wrong credentials' })).toBe(false);
  });
});
