// The part of autocannon's API (a devDependency without bundled types) that account-load.ts uses.
declare module 'autocannon' {
  interface Result {
    duration: number;
    requests: { total: number };
    latency: { p50: number; p99: number; max: number };
    non2xx: number;
    errors: number;
    timeouts: number;
  }
  interface Options {
    url: string;
    connections: number;
    duration: number;
    timeout: number;
    requests: unknown[];
  }
  export default function autocannon(options: Options): Promise<Result>;
}
