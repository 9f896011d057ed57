// Configuration: read once, validated, every problem named; documented in .env.example and README.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig, openDoors } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

describe('loadConfig', () => {
  it('runs on embedded defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      OLLAMA_HOST: ['http://127.0.0.1:11434'],
      ANSWER_MAX_WAIT_MINUTES: 30,
      SMS_MAX_PARTS: 3,
      OLLAMA_MODEL: 'llama3.2:3b',
      DATABASE_PATH: './data/ussd.db',
      MENUS_DIR: './menus',
      HOP_DEADLINE_MS: 5000,
      ALLOWED_IPS: [],
    });
    expect(c.REDIS_URL).toBeUndefined();
  });

  it('takes several Ollama hosts, comma-separated, each checked', () => {
    expect(loadConfig({ OLLAMA_HOST: 'http://a:11434, http://b:11434' }).OLLAMA_HOST).toEqual([
      'http://a:11434',
      'http://b:11434',
    ]);
    expect(() => loadConfig({ OLLAMA_HOST: 'http://a:11434,ftp://b' })).toThrow(/OLLAMA_HOST/);
  });

  it('wants both AT credentials or neither (SMS off)', () => {
    expect(() => loadConfig({ AT_USERNAME: 'sandbox' })).toThrow(/AT_API_KEY/);
    expect(() => loadConfig({ AT_API_KEY: 'atsk_0123456789' })).toThrow(/AT_USERNAME/);
    expect(loadConfig({ AT_USERNAME: 'sandbox', AT_API_KEY: 'atsk_0123456789' }).AT_USERNAME).toBe('sandbox');
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        REDIS_URL: 'http://x',
        HOP_DEADLINE_MS: '50',
        ADMIN_TOKEN: 'short',
        STORE_PHONE_NUMBERS: 'maybe',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.split('=')[0]);
    expect(names.sort()).toEqual([
      'ADMIN_TOKEN',
      'HOP_DEADLINE_MS',
      'PORT',
      'REDIS_URL',
      'STORE_PHONE_NUMBERS',
    ]);
    expect((error as ConfigError).message).toContain('PORT="eighty": must be a whole number');
  });

  it('reads lists and booleans', () => {
    const c = loadConfig({ ALLOWED_IPS: '10.0.0.0/8, 192.0.2.7', STORE_PHONE_NUMBERS: 'yes', REDIS_URL: '' });
    expect(c.ALLOWED_IPS).toEqual(['10.0.0.0/8', '192.0.2.7']);
    expect(c.STORE_PHONE_NUMBERS).toBe(true);
    expect(c.REDIS_URL).toBeUndefined();
  });

  it.each([
    ['mysql://db/x', 'must start with postgres://'],
    ['postgres://db.example.org', 'names no database (postgres://user@host:5432/database)'],
    ['not a url', 'must be a URL: postgres://user@host:5432/database'],
  ])('refuses DATABASE_URL=%j, naming what is wrong (issue 19)', (value, why) => {
    expect(problemsOf({ DATABASE_URL: value })).toEqual([`DATABASE_URL="${value}": ${why}`]);
  });

  it('takes a PostgreSQL DATABASE_URL, and "" as unset (SQLite)', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://gw:pw@db:5432/ussd' }).DATABASE_URL).toBe(
      'postgres://gw:pw@db:5432/ussd',
    );
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it.each([
    ['', { hops: 0 }],
    ['false', { hops: 0 }],
    ['1', { hops: 1 }],
    ['2', { hops: 2 }],
    ['10.0.0.2, 10.1.0.0/16, 2001:db8::/32', { proxies: ['10.0.0.2', '10.1.0.0/16', '2001:db8::/32'] }],
  ])('reads TRUST_PROXY=%j as the proxies it names (issue 15)', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });

  it('refuses TRUST_PROXY=true and addresses that are not addresses, naming each', () => {
    const problems = problemsOf({ TRUST_PROXY: 'true', ALLOWED_IPS: '10.0.0.0/8, 10.0.0.300, example.org' });
    expect(problems).toEqual([
      expect.stringMatching(
        /^ALLOWED_IPS="10.0.0.0\/8, 10.0.0.300, example.org": not an address or CIDR range: 10.0.0.300, example.org$/,
      ),
      expect.stringMatching(
        /^TRUST_PROXY="true": would trust any client to name its own address: give the number of proxies/,
      ),
    ]);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/33' })).toEqual([
      'TRUST_PROXY="10.0.0.0/33": not an address or CIDR range: 10.0.0.0/33',
    ]);
  });

  describe('NODE_ENV=production (issue 15)', () => {
    const SAFE = {
      NODE_ENV: 'production',
      CALLBACK_SECRET: 'callback-secret-0123456789',
      PHONE_HASH_SECRET: 'phone-hash-secret-0123456789',
      API_TOKEN: 'api-token-0123456789abcdef',
    };

    it('refuses to start open, naming each way in, with the other bad variables', () => {
      const problems = problemsOf({ NODE_ENV: 'production', PORT: 'eighty' });
      expect(problems.map((p) => p.split('=')[0])).toEqual([
        'PORT',
        'CALLBACK_SECRET',
        'PHONE_HASH_SECRET',
        'API_TOKEN',
      ]);
      expect(problems[1]).toMatch(/required with NODE_ENV=production .*act as any subscriber/);
      expect(problems[3]).toMatch(/API_ENABLED=false/);
    });

    it('starts with a secret (or an allow-list), a phone-hash secret and the API closed or off', () => {
      expect(loadConfig(SAFE).NODE_ENV).toBe('production');
      const { CALLBACK_SECRET: _c, API_TOKEN: _a, ...rest } = SAFE;
      const config = loadConfig({ ...rest, ALLOWED_IPS: '192.0.2.0/24', API_ENABLED: 'false' });
      expect(config.API_ENABLED).toBe(false);
    });

    it('the CLIs, which serve nothing, need none of it', () => {
      expect(loadConfig({ NODE_ENV: 'production' }, { serving: false }).NODE_ENV).toBe('production');
    });

    it('outside production the same gaps are only reported (main.ts warns at start-up)', () => {
      expect(loadConfig({}).NODE_ENV).toBe('development');
      expect(openDoors({}).map((d) => d.variable)).toEqual([
        'CALLBACK_SECRET',
        'PHONE_HASH_SECRET',
        'API_TOKEN',
      ]);
      expect(openDoors({ ...SAFE, API_TOKEN: '', API_ENABLED: 'false' })).toEqual([]);
    });
  });

  it.each(['.env.example', 'README.md', 'docker-compose.yml'])('documents every variable in %s', (file) => {
    const text = readFileSync(file, 'utf8');
    const missing = CONFIG_VARIABLES.filter((v) => !text.includes(v));
    expect(missing).toEqual([]);
  });
});

describe('.env.example', () => {
  it('can be sourced by a shell (set -a; . ./.env.example) and gives the embedded defaults', () => {
    const sh = spawnSync('sh', ['-c', 'set -a; . ./.env.example && env -0'], { env: {}, encoding: 'utf8' });
    expect(sh.stderr).toBe('');
    expect(sh.status).toBe(0);
    const env = Object.fromEntries(
      sh.stdout
        .split('\0')
        .filter((kv) => kv.includes('='))
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    expect(CONFIG_VARIABLES.filter((v) => !(v in env))).toEqual([]);
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });
});

describe('DEFAULT_COUNTRY', () => {
  it('is KE by default, read in any case, and must be a country code', () => {
    expect(loadConfig({}).DEFAULT_COUNTRY).toBe('KE');
    expect(loadConfig({ DEFAULT_COUNTRY: 'tz' }).DEFAULT_COUNTRY).toBe('TZ');
    expect(() => loadConfig({ DEFAULT_COUNTRY: 'Kenya' })).toThrow(
      /DEFAULT_COUNTRY="Kenya": must be a two-letter country code/,
    );
  });
});

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
describe('payments config', () => {
  const mpesa = {
    PAYMENTS_MODE: 'mpesa',
    MPESA_CONSUMER_KEY: 'key',
    MPESA_CONSUMER_SECRET: 'secret',
    MPESA_SHORTCODE: '174379',
    MPESA_PASSKEY: 'passkey',
    MPESA_CALLBACK_URL: 'https://gw.example.org/mpesa/callback/0123456789abcdef',
  };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('defaults to intent, and takes a complete mpesa setup', () => {
    expect(loadConfig({}).PAYMENTS_MODE).toBe('intent');
    expect(loadConfig({}).MPESA_API_URL).toBe('https://api.safaricom.co.ke');
    const c = loadConfig({ ...mpesa, MPESA_ALLOWED_IPS: '196.201.214.0/24' });
    expect(c).toMatchObject({ PAYMENTS_MODE: 'mpesa', MPESA_TRANSACTION_TYPE: 'CustomerPayBillOnline' });
    expect(c.MPESA_ALLOWED_IPS).toEqual(['196.201.214.0/24']);
  });

  it('names every variable mpesa needs and a price that is not whole shillings, with other problems', () => {
    const names = problems({ PAYMENTS_MODE: 'mpesa', SUBSCRIPTION_PRICE: 'KES 20.50', PORT: 'x' }).map(
      (p) => p.split('=')[0],
    );
    expect(names.sort()).toEqual([
      'MPESA_CALLBACK_URL',
      'MPESA_CONSUMER_KEY',
      'MPESA_CONSUMER_SECRET',
      'MPESA_PASSKEY',
      'MPESA_SHORTCODE',
      'PORT',
      'SUBSCRIPTION_PRICE',
    ]);
    expect(problems({ SUBSCRIPTION_PRICE: 'KES 20.50' })).toEqual([]); // intent: any wording
  });

  it.each([
    ['MPESA_CALLBACK_URL', 'http://gw.example.org/mpesa/callback/0123456789abcdef'],
    ['MPESA_CALLBACK_URL', 'https://gw.example.org/mpesa/callback'],
    ['MPESA_CALLBACK_URL', 'https://gw.example.org/mpesa/callback/short'],
    ['MPESA_CALLBACK_URL', 'https://gw.example.org/cb/0123456789abcdef?x=1'],
    ['MPESA_SHORTCODE', '17437a'],
    ['MPESA_ACCOUNT_REFERENCE', 'Ask-a-question'],
    ['MPESA_TRANSACTION_TYPE', 'CustomerPayBill'],
    ['MPESA_PARTY_B', ''],
  ])('refuses %s=%s', (name, value) => {
    const env: Record<string, string> = { ...mpesa, [name]: value };
    if (name === 'MPESA_PARTY_B') env['MPESA_TRANSACTION_TYPE'] = 'CustomerBuyGoodsOnline';
    expect(problems(env).map((p) => p.split('=')[0])).toEqual([name]);
  });

  it('takes a loopback http callback, for a test against a fake Daraja', () => {
    expect(
      loadConfig({ ...mpesa, MPESA_CALLBACK_URL: 'http://127.0.0.1:3000/mpesa/callback/0123456789abcdef' })
        .MPESA_CALLBACK_URL,
    ).toContain('127.0.0.1');
  });
});

describe('Redis Sentinel (REDIS_SENTINELS)', () => {
  const GROUP = { REDIS_SENTINELS: 's1:26379, 10.0.0.5:26380,[::1]:26381,s4', REDIS_SENTINEL_NAME: 'ussd' };

  it('takes host:port entries (a bare host is 26379) and the group name', () => {
    const c = loadConfig({ ...GROUP, REDIS_SENTINEL_PASSWORD: 'sentinel-pw', REDIS_PASSWORD: 'redis-pw' });
    expect(c.REDIS_SENTINELS).toEqual([
      { host: 's1', port: 26379 },
      { host: '10.0.0.5', port: 26380 },
      { host: '::1', port: 26381 },
      { host: 's4', port: 26379 },
    ]);
    expect(c).toMatchObject({
      REDIS_SENTINEL_NAME: 'ussd',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      REDIS_PASSWORD: 'redis-pw',
    });
    expect(c.REDIS_URL).toBeUndefined();
    expect(loadConfig({}).REDIS_SENTINELS).toEqual([]);
  });

  it.each([
    [{ ...GROUP, REDIS_URL: 'redis://r:6379' }, /REDIS_SENTINELS: set either REDIS_URL .* not both/],
    [{ REDIS_SENTINELS: 's1:26379' }, /REDIS_SENTINEL_NAME="": required with REDIS_SENTINELS/],
    [
      { ...GROUP, REDIS_SENTINELS: 's1:26379,s2:port,http://s3' },
      /REDIS_SENTINELS=.*not host:port.*s2:port, http:\/\/s3/,
    ],
    [{ ...GROUP, REDIS_SENTINELS: 's1:70000' }, /REDIS_SENTINELS=.*not host:port.*s1:70000/],
    [{ ...GROUP, REDIS_SENTINEL_NAME: 'my master' }, /REDIS_SENTINEL_NAME=.*master group name/],
    [
      { REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'pw' },
      /REDIS_PASSWORD: only used with REDIS_SENTINELS \(with REDIS_URL the password goes in the URL/,
    ],
    [{ REDIS_SENTINEL_NAME: 'ussd' }, /REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS/],
    [{ REDIS_SENTINEL_PASSWORD: 'pw' }, /REDIS_SENTINEL_PASSWORD: only used with REDIS_SENTINELS/],
  ])('refuses %o, saying why', (env, message) => {
    expect(problemsOf(env).join('\n')).toMatch(message);
  });

  it('names a Sentinel problem together with every other bad variable', () => {
    const names = problemsOf({ REDIS_SENTINELS: 's1', PORT: 'x' }).map((p) => p.split(/[=:]/)[0]);
    expect(names.sort()).toEqual(['PORT', 'REDIS_SENTINEL_NAME']);
  });
});
