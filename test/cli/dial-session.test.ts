// The pure part of `npm run dial`: the hop form AT posts, how a reply is read and warned about, and
// how a screen is drawn at a handset's width.
import { describe, expect, it } from 'vitest';
import {
  boxScreen,
  hopForm,
  newSessionId,
  plainScreen,
  readReply,
  screenSize,
  screenWarnings,
  wrapScreen,
} from '../../src/cli/dial-session.ts';

const DIALER = { serviceCode: '*384*123#', phoneNumber: '+254711000001', networkCode: '63902' };

describe('newSessionId', () => {
  it("has AT's shape: ATUid_ and 32 hex digits", () => {
    expect(newSessionId((n) => Uint8Array.from({ length: n }, (_, i) => i))).toBe(
      'ATUid_000102030405060708090a0b0c0d0e0f',
    );
    expect(newSessionId()).toMatch(/^ATUid_[0-9a-f]{32}$/);
  });

  it('is fresh every time', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newSessionId()));
    expect(ids.size).toBe(50);
  });
});

describe('hopForm', () => {
  it.each([
    [[], 'text='],
    [['1'], 'text=1'],
    [['1', '2'], 'text=1*2'],
    [['1', 'what is malaria'], 'text=1*what+is+malaria'],
    [['1', ''], 'text=1*'],
  ])('inputs %j are sent as the cumulative %s', (inputs, text) => {
    expect(hopForm(DIALER, 'ATUid_x', inputs).toString()).toBe(
      `sessionId=ATUid_x&serviceCode=*384*123%23&phoneNumber=%2B254711000001&networkCode=63902&${text}`,
    );
  });
});

describe('readReply', () => {
  const ok = 'text/plain; charset=UTF-8';
  it.each([
    ['a menu', 200, ok, 'CON Welcome\n1. Ask', 'CON', 'Welcome\n1. Ask', []],
    ['a last screen', 200, 'text/plain', 'END Bye', 'END', 'Bye', []],
    ['a 500', 500, ok, 'END Oops', 'ERROR', 'END Oops', ['HTTP 500']],
    ['a 403 with a reason', 403, ok, 'Forbidden\n', 'ERROR', 'Forbidden', ['HTTP 403']],
    ['no prefix', 200, ok, 'Welcome', 'ERROR', 'Welcome', ['does not start with "CON " or "END "']],
    ['a prefix without its space', 200, ok, 'CONWelcome', 'ERROR', 'CONWelcome', ['does not start']],
    ['a lower-case prefix', 200, ok, 'con Welcome', 'ERROR', 'con Welcome', ['does not start']],
    ['JSON', 200, 'application/json', 'CON {}', 'CON', '{}', ['not text/plain']],
    ['182 septets', 200, ok, `CON ${'a'.repeat(182)}`, 'CON', 'a'.repeat(182), []],
    ['183 septets', 200, ok, `CON ${'a'.repeat(183)}`, 'CON', 'a'.repeat(183), ['183 septets']],
    ['91 two-septet characters', 200, ok, `END ${'{'.repeat(91)}`, 'END', '{'.repeat(91), []],
    ['92 two-septet characters', 200, ok, `END ${'{'.repeat(92)}`, 'END', '{'.repeat(92), ['184 septets']],
  ])('%s', (_name, status, type, body, kind, text, warnings) => {
    const reply = readReply(status, type, body, 12);
    expect(reply.kind).toBe(kind);
    expect(reply.text).toBe(text);
    expect(reply.warnings).toHaveLength(warnings.length);
    warnings.forEach((w, i) => {
      expect(reply.warnings[i]).toContain(w);
    });
  });

  it('warns about a hop slower than AT waits for', () => {
    expect(readReply(200, 'text/plain', 'CON Hi', 9000).warnings).toEqual([
      'took 9000 ms: AT or the telco may give up after 5-15 s',
    ]);
  });
});

describe('screenWarnings and screenSize', () => {
  it.each([
    ['Karibu Ask', [], '10/182 septets'],
    ['Caf\u00e9 \u00e0 la carte', [], '15/182 septets'],
    [
      '\u201Csmart\u201D',
      ['not GSM-7 ("\u201C" U+201C, "\u201D" U+201D): the screen becomes UCS-2'],
      '7/80 UCS-2 chars',
    ],
    [
      `\u0169${'a'.repeat(80)}`,
      ['not GSM-7 ("\u0169" U+0169): the screen becomes UCS-2, and 81 characters is over the 80 it allows'],
      '81/80 UCS-2 chars',
    ],
    ['\u{1F600} hi', ['not GSM-7 ("\u{1F600}" U+1F600): the screen becomes UCS-2'], '4/80 UCS-2 chars'],
  ])('%j', (text, warnings, size) => {
    expect(screenWarnings(text)).toEqual(warnings);
    expect(screenSize(text)).toBe(size);
  });
});

describe('wrapScreen', () => {
  it.each([
    ['Welcome to Ask\n1. Ask a question', 22, ['Welcome to Ask', '1. Ask a question']],
    ['Type your question (5 left today):', 22, ['Type your question (5', 'left today):']],
    ['exactly twenty-two ch.', 22, ['exactly twenty-two ch.']],
    ['abcdefghijklmnopqrstuvwxyz', 10, ['abcdefghij', 'klmnopqrst', 'uvwxyz']],
    ['one\n\ntwo', 22, ['one', '', 'two']],
    ['', 22, ['']],
  ])('%j at %i columns', (text, columns, lines) => {
    expect(wrapScreen(text, columns)).toEqual(lines);
  });
});

describe('boxScreen and plainScreen', () => {
  it('draws every line of the box the same width', () => {
    const box = boxScreen('Sorry, the assistant is not available right now.\n1. Try again', 22).split('\n');
    expect(box[0]).toBe(`┌${'─'.repeat(24)}┐`);
    expect(box[1]).toBe('│ Sorry, the assistant   │');
    expect(new Set(box.map((l) => [...l].length))).toEqual(new Set([26]));
  });

  it('prints the kind, the text and a blank line', () => {
    expect(plainScreen({ kind: 'END', text: 'Bye\nnow' })).toBe('END\nBye\nnow\n\n');
  });
});
