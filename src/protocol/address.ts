// IP addresses as the callback guards read them (guard.ts) and config.ts checks them: one
// address from a socket or an X-Forwarded-For entry, and sets of addresses and CIDR ranges
// (ALLOWED_IPS, TRUST_PROXY). Pure, on node:net's BlockList; never throws on what a client sent.
import { BlockList, isIP } from 'node:net';

export interface Address {
  address: string;
  family: 'ipv4' | 'ipv6';
}

/** A set of addresses and CIDR ranges, IPv4 and IPv6. */
export interface AddressSet {
  has(address: Address): boolean;
}

/** The longest entry worth reading: an IPv6 address in brackets with a port. */
const MAX_ENTRY = 64;

/**
 * One address as a socket or a proxy writes it: `a.b.c.d`, `a.b.c.d:port`, an IPv6 address,
 * `[v6]:port`; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, how a dual-stack socket reports an
 * IPv4 peer) is its IPv4 address. Null for anything else (garbage, zone ids, empty).
 */
export function parseAddress(raw: string): Address | null {
  let s = raw.trim();
  if (s.length === 0 || s.length > MAX_ENTRY) return null;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracketed) s = bracketed[1] ?? '';
  else if (/^\d+\.\d+\.\d+\.\d+:\d{1,5}$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s);
  if (mapped) s = mapped[1] ?? '';
  const version = isIP(s);
  if (version === 4) return { address: s, family: 'ipv4' };
  if (version === 6) return { address: s.toLowerCase(), family: 'ipv6' };
  return null;
}

/** The entries of a list (ALLOWED_IPS, TRUST_PROXY) that are neither an address nor a CIDR range. */
export function invalidEntries(entries: readonly string[]): string[] {
  return entries.filter((entry) => parseEntry(entry) === null);
}

/** The set of `entries` (addresses and CIDR ranges); invalid entries are left out (config checks them). */
export function addressSet(entries: readonly string[]): AddressSet {
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseEntry(entry);
    if (parsed === null) continue;
    if (parsed.prefix === null) list.addAddress(parsed.address, parsed.family);
    else list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return { has: (a) => list.check(a.address, a.family) };
}

function parseEntry(entry: string): (Address & { prefix: number | null }) | null {
  const [host = '', bits, extra] = entry.trim().split('/');
  // Bare addresses only in a list: no port, no brackets.
  if (extra !== undefined || host.includes('[') || /^\d+\.\d+\.\d+\.\d+:/.test(host)) return null;
  const address = parseAddress(host);
  if (address === null) return null;
  if (bits === undefined) return { ...address, prefix: null };
  if (!/^\d{1,3}$/.test(bits)) return null;
  const prefix = Number(bits);
  return prefix <= (address.family === 'ipv4' ? 32 : 128) ? { ...address, prefix } : null;
}
