// Configuration: read once, validated, every problem named; documented in .env.example and README.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

describe('loadConfig', () => {
  it('runs on embedded defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      OLLAMA_HOST: 'http://127.0.0.1:11434',
      OLLAMA_MODEL: 'llama3.2:3b',
      DATABASE_PATH: './data/ussd.db',
      MENUS_DIR: './menus',
      HOP_DEADLINE_MS: 5000,
      ALLOWED_IPS: [],
    });
    expect(c.REDIS_URL).toBeUndefined();
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
    const c = loadConfig({ ALLOWED_IPS: '10.0.0.0/8, 192.0.2.7', TRUST_PROXY: 'true', REDIS_URL: '' });
    expect(c.ALLOWED_IPS).toEqual(['10.0.0.0/8', '192.0.2.7']);
    expect(c.TRUST_PROXY).toBe(true);
    expect(c.REDIS_URL).toBeUndefined();
  });

  it.each(['.env.example', 'README.md', 'docker-compose.yml'])('documents every variable in %s', (file) => {
    const text = readFileSync(file, 'utf8');
    const missing = CONFIG_VARIABLES.filter((v) => !text.includes(v));
    expect(missing).toEqual([]);
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
