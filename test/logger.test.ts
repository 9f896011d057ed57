// The logger never writes a secret (issue 15 item 11): fields named like one are redacted, and
// every line is scrubbed of the configured secrets' values, wherever they appear (a path, a URL,
// an error's message or stack); a callback path is logged without its secret segment.
import { describe, expect, it } from 'vitest';
import { loggablePath } from '../src/app.ts';
import { createLogger } from '../src/logger.ts';

const SECRET = 'cb-LOGGER-0123456789abcdef';
const TOKEN = 'api-LOGGER-fedcba9876543210';

function collecting(secrets: string[]) {
  const lines: string[] = [];
  const logger = createLogger('trace', secrets, { write: (line: string) => lines.push(line) });
  return { logger, text: () => lines.join('') };
}

describe('createLogger', () => {
  it('scrubs the secrets from every field, message and stack', () => {
    const { logger, text } = collecting([SECRET, TOKEN]);
    logger.error({ err: new Error(`fetch /ussd/${SECRET} failed`), url: `/ussd?secret=${SECRET}` }, 'boom');
    logger.warn({ nested: { header: `Bearer ${TOKEN}` } }, `token ${TOKEN} refused`);
    logger.info({ secret: 'named-like-one', token: 'also' }, 'fields');
    const out = text();
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain('named-like-one');
    expect(out.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(6);
    expect(out).toContain('"msg":"token [redacted] refused"');
  });

  it('writes lines untouched when no secret is configured', () => {
    const { logger, text } = collecting([]);
    logger.info({ a: 1 }, 'plain');
    expect(JSON.parse(text())).toMatchObject({ a: 1, msg: 'plain', service: 'ussd-ai-gateway' });
  });
});

describe('loggablePath', () => {
  it.each([
    ['/ussd', '/ussd'],
    ['/ussd/events', '/ussd/events'],
    [`/ussd/${SECRET}`, '/ussd/[redacted]'],
    [`/ussd/${SECRET}/events`, '/ussd/[redacted]/events'],
    ['/ussd/eventsX', '/ussd/[redacted]'],
    ['/admin', '/admin'],
  ])('%s → %s', (path, expected) => {
    expect(loggablePath(path)).toBe(expected);
  });
});
