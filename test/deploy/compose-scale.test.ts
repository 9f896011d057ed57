// The compose profile for replicas (issue 19 §4), read as Compose would read it: three gateways
// behind HAProxy, each configured for Sentinel, PostgreSQL and one trusted proxy, and the files in
// deploy/ agreeing with it. `docker-compose config -q` (.ci/run) checks the syntax; this checks
// that the pieces fit together and that each gateway's environment passes config.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.ts';

interface Service {
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
  ports?: string[];
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const inScale = Object.entries(services).filter(([, s]) => s.profiles?.includes('scale'));
const gateways = inScale.filter(([name]) => /^gateway-\d$/.test(name));
const haproxy = readFileSync('deploy/haproxy.cfg', 'utf8');
const sentinelConf = readFileSync('deploy/sentinel.conf', 'utf8');

/** The value Compose gives `${VAR:-default}` with nothing set: the default. */
function defaults(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]),
  );
}

describe('docker compose --profile scale', () => {
  it('leaves the one-box services out of the profile', () => {
    for (const name of ['gateway', 'redis', 'ollama']) expect(services[name]?.profiles).toBeUndefined();
  });

  it('has three gateways, each passing config.ts with Sentinel, PostgreSQL and one trusted proxy', () => {
    expect(gateways.map(([n]) => n)).toEqual(['gateway-1', 'gateway-2', 'gateway-3']);
    for (const [name, s] of gateways) {
      const env = defaults(s.environment ?? {});
      const config = loadConfig(env, { serving: false });
      expect(config.REDIS_URL, name).toBeUndefined();
      expect(config.REDIS_SENTINELS.map((a) => a.host)).toEqual(['sentinel-1', 'sentinel-2', 'sentinel-3']);
      expect(config.TRUST_PROXY).toEqual({ hops: 1 });
      expect(env['DATABASE_URL']).toMatch(/^postgres:\/\/\w+:[^@]+@postgres:5432\/\w+$/);
      // Reached only through the balancer: a published gateway port would let a caller write the
      // X-Forwarded-For entry TRUST_PROXY believes.
      expect(s.ports, name).toBeUndefined();
      for (const s2 of config.REDIS_SENTINELS) expect(services[s2.host]?.profiles).toContain('scale');
      expect(Object.keys(s.depends_on ?? {})).toEqual(expect.arrayContaining(['postgres', 'ollama']));
      expect(sentinelConf).toContain(`sentinel monitor ${config.REDIS_SENTINEL_NAME} redis-master 6379 2`);
    }
  });

  it('balances over exactly those gateways, appending the caller to X-Forwarded-For', () => {
    const servers = [...haproxy.matchAll(/^\s*server (\S+) (\S+):3000$/gm)].map((m) => [m[1], m[2]]);
    expect(servers).toEqual(gateways.map(([n]) => [n, n]));
    expect(haproxy).toMatch(/^\s*option forwardfor$/m);
    // A failover makes every gateway unready while each still answers: the check is /healthz.
    expect(haproxy).toMatch(/^\s*option httpchk GET \/healthz$/m);
    expect(defaults({ p: services['lb']?.ports?.[0] ?? '' })['p']).toBe('8080:3000');
  });
});
