import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent, fetch, Headers, type RequestInit, type Response } from 'undici';
import { addressAllowed, canonicalAddress, hostAllowed, type RequestPolicy } from './target-policy.js';

/** Thrown (as a fetch failure's cause) for a target the policy refuses; reported like an unreachable one. */
export class RefusedTarget extends Error {
  readonly code = 'EREFUSEDTARGET';
}

const MAX_REDIRECTS = 5;
const agents = new WeakMap<RequestPolicy, Agent>();

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * An undici Agent whose every connection resolves its host through the policy: the address checked
 * is the address connected to, so a DNS answer that changes between check and connect (rebinding)
 * cannot slip through.
 */
function agentFor(policy: RequestPolicy): Agent {
  let agent = agents.get(policy);
  if (!agent) {
    const lookup = (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
      dnsLookup(hostname, { family: options.family ?? 0, all: true }, (err, addresses) => {
        if (err) return callback(err, []);
        const list = addresses as LookupAddress[];
        if (!hostAllowed(policy, hostname) && (list.length === 0 || list.some((a) => !addressAllowed(policy, a.address)))) {
          return callback(new RefusedTarget(`refused target ${hostname}`), []);
        }
        if (options.all) return callback(null, list);
        return callback(null, list[0]!.address, list[0]!.family);
      });
    };
    agent = new Agent({ connect: { lookup: lookup as never }, connections: 32 });
    agents.set(policy, agent);
  }
  return agent;
}

/** Refuses an IP-literal host outside the policy (connections to literals skip the DNS lookup). */
function checkLiteral(policy: RequestPolicy, url: URL): void {
  const ip = canonicalAddress(url.hostname);
  if (ip && !addressAllowed(policy, ip.address) && !hostAllowed(policy, url.hostname)) throw new RefusedTarget(`refused target ${url.hostname}`);
}

/**
 * fetch through the policy, following at most five redirects by hand so every hop is checked the
 * same way as the first (a public URL redirecting to 127.0.0.1 is refused).
 */
export async function guardedFetch(policy: RequestPolicy, url: URL, init: RequestInit): Promise<Response> {
  const dispatcher = agentFor(policy);
  let current = url;
  let request: RequestInit = { ...init, redirect: 'manual', dispatcher };
  for (let hop = 0; ; hop += 1) {
    checkLiteral(policy, current);
    const response = await fetch(current, request);
    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || !location) return response;
    await response.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, current);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new RefusedTarget(`refused redirect to ${next.protocol}`);
    const toGet = response.status === 303 || ((response.status === 301 || response.status === 302) && request.method === 'POST');
    const headers = new Headers(request.headers);
    if (toGet) {
      headers.delete('content-type');
      headers.delete('content-length');
    }
    if (next.origin !== current.origin) {
      headers.delete('authorization');
      headers.delete('cookie');
    }
    request = { ...request, headers, ...(toGet ? { method: 'GET', body: undefined } : {}) };
    current = next;
  }
}
