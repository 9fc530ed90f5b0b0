import { BlockList, isIP } from 'node:net';

/**
 * Which hosts the request node may reach. Everything public is allowed; loopback, private,
 * link-local (cloud metadata included), unique-local, multicast and reserved ranges are refused
 * unless the allow-list (WORKFLOW_REQUEST_ALLOW) names the address, its range or the host name.
 */
export interface RequestPolicy {
  /** Addresses and CIDR ranges deliberately allowed. */
  readonly allowAddresses: BlockList;
  /** Host names deliberately allowed (lower case; `*.example.com` matches sub-domains). */
  readonly allowHosts: readonly string[];
  /** Upper bound of one attempt's timeout, whatever the node's config says. */
  readonly maxTimeoutMs: number;
}

const DENIED_V4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
];
const DENIED_V6 = ['::/128', '::1/128', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001:db8::/32', '2002::/16', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8'];

const denied = new BlockList();
for (const range of DENIED_V4) addRange(denied, range);
for (const range of DENIED_V6) addRange(denied, range);

function addRange(list: BlockList, entry: string): void {
  const [address, prefix] = entry.split('/');
  const family = isIP(address!) === 6 ? 'ipv6' : 'ipv4';
  if (prefix === undefined) list.addAddress(address!, family);
  else list.addSubnet(address!, Number(prefix), family);
}

/** `::ffff:127.0.0.1`, `::ffff:7f00:1` and `::127.0.0.1` (compatible) → the IPv4 address they carry. */
function embeddedV4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^::(?:ffff:(?:0:)?)?(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^::(?:ffff:(?:0:)?)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return undefined;
}

/** The address as the family it really reaches (IPv4-mapped IPv6 → IPv4), or undefined if not an IP. */
export function canonicalAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 4) return { address: bare, family: 'ipv4' };
  if (version !== 6) return undefined;
  const v4 = embeddedV4(bare);
  return v4 ? { address: v4, family: 'ipv4' } : { address: bare, family: 'ipv6' };
}

/** Parses WORKFLOW_REQUEST_ALLOW's entries: IPs, CIDRs and host names; throws naming a bad entry. */
export function requestPolicy(options: { allow?: readonly string[]; maxTimeoutMs?: number } = {}): RequestPolicy {
  const allowAddresses = new BlockList();
  const allowHosts: string[] = [];
  for (const raw of options.allow ?? []) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    const [address, prefix] = entry.split('/');
    const ip = canonicalAddress(address!);
    if (ip) {
      const bits = prefix === undefined ? undefined : Number(prefix);
      const max = ip.family === 'ipv4' ? 32 : 128;
      if (bits !== undefined && (!Number.isInteger(bits) || bits < 0 || bits > max)) throw new Error(`"${raw}" has an invalid prefix length`);
      if (bits === undefined) allowAddresses.addAddress(ip.address, ip.family);
      else allowAddresses.addSubnet(ip.address, bits, ip.family);
    } else if (prefix === undefined && /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(entry)) {
      allowHosts.push(entry);
    } else {
      throw new Error(`"${raw}" is neither an IP address, a CIDR range nor a host name`);
    }
  }
  return { allowAddresses, allowHosts, maxTimeoutMs: options.maxTimeoutMs ?? 60_000 };
}

/** The default: no exceptions, 60 s per attempt at most. */
export const DEFAULT_REQUEST_POLICY = requestPolicy();

/** True when the host name itself is on the allow-list (then whatever it resolves to is reachable). */
export function hostAllowed(policy: RequestPolicy, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return policy.allowHosts.some((entry) => (entry.startsWith('*.') ? name.endsWith(entry.slice(1)) : name === entry));
}

/** True when an address may be connected to: public, or deliberately allowed. */
export function addressAllowed(policy: RequestPolicy, address: string): boolean {
  const ip = canonicalAddress(address);
  if (!ip) return false;
  if (policy.allowAddresses.check(ip.address, ip.family)) return true;
  return !denied.check(ip.address, ip.family);
}
