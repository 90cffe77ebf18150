// Budget webhooks: an outbound request an admin can aim, so an SSRF surface. A target must be
// http(s), its host must be in WEBHOOK_ALLOWED_HOSTS (a host name, or host:port), and every
// address the host resolves to must be public, unless the host is listed as that address itself
// (127.0.0.1:8080) or as `localhost` (loopback only). The check runs when an alert is created and
// again at every delivery, on the very addresses the connection uses (a DNS answer that changed
// to a private address is refused). Redirects are not followed.
import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { AppError } from '../platform/errors.ts';

/** The outbound webhook as the alerts domain uses it (domain/alerts/webhook-port.ts). */
export interface WebhookPort {
  /**
   * Throws BAD_INPUT (field webhookUrl) unless the URL is http(s), its host is allow-listed and
   * every address it resolves to is public (or the loopback/private address itself is listed).
   */
  check(url: string): Promise<void>;
  /** POSTs the body; resolves to the HTTP status. Rejects on a network failure or a refused address. */
  post(url: string, body: string, headers: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

interface HostEntry {
  host: string;
  /** Absent: any port. */
  port?: string;
}

/** WEBHOOK_ALLOWED_HOSTS, parsed: `name`, `name:port`, `1.2.3.4:port`, `[::1]:port` or a bare IPv6. */
export function parseAllowedHosts(list: string): HostEntry[] {
  return list
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean)
    .map((entry) => {
      const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
      if (bracketed) return { host: bracketed[1]!, ...(bracketed[2] && { port: bracketed[2] }) };
      const colons = entry.split(':').length - 1;
      if (colons === 1) {
        const [host, port] = entry.split(':') as [string, string];
        return { host, port };
      }
      return { host: entry };
    });
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2002::', 16]] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Loopback, private, link-local, shared, multicast or unspecified (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) return blocked.check(address, 'ipv6');
  return true;
}

const isLoopback = (address: string) => /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);

/** A resolved address is fine when public, or when the host was listed as that very address (or as localhost). */
function addressPermitted(address: string, hostname: string): boolean {
  if (!isPrivateAddress(address)) return true;
  if (isIP(hostname) && hostname === address.toLowerCase()) return true;
  return hostname === 'localhost' && isLoopback(address);
}

const refuse = (message: string) => new AppError('BAD_INPUT', message, { field: 'webhookUrl' });

export interface WebhookSenderOptions {
  allowedHosts: string;
  timeoutMs?: number;
  /** Name resolution (default: the system resolver); tests give their own. */
  resolveHost?: (hostname: string) => Promise<dns.LookupAddress[]>;
}

const systemResolve = (hostname: string) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export function createWebhookSender({ allowedHosts, timeoutMs = 10_000, resolveHost = systemResolve }: WebhookSenderOptions): WebhookPort {
  const entries = parseAllowedHosts(allowedHosts);

  /** The URL's host name (brackets off, lower case) when it is allowed; else throws. */
  function allowedTarget(raw: string): { url: URL; hostname: string } {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse('webhookUrl: must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('webhookUrl: must be an http or https URL');
    if (url.username || url.password) throw refuse('webhookUrl: must not carry credentials');
    if (entries.length === 0) throw refuse('webhookUrl: WEBHOOK_ALLOWED_HOSTS is empty, so no webhook host is allowed');
    const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    if (!entries.some((e) => e.host === hostname && (e.port === undefined || e.port === port))) {
      throw refuse(`webhookUrl: host ${url.host} is not in WEBHOOK_ALLOWED_HOSTS`);
    }
    return { url, hostname };
  }

  function resolve(hostname: string): Promise<dns.LookupAddress[]> {
    if (isIP(hostname)) return Promise.resolve([{ address: hostname, family: isIP(hostname) }]);
    return resolveHost(hostname);
  }

  async function check(raw: string): Promise<void> {
    const { hostname, url } = allowedTarget(raw);
    let addresses: dns.LookupAddress[];
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      throw new AppError('BAD_INPUT', `webhookUrl: host ${url.hostname} does not resolve`, { field: 'webhookUrl' }, { cause: error });
    }
    if (addresses.length === 0 || addresses.some((a) => !addressPermitted(a.address, hostname))) {
      throw refuse(`webhookUrl: host ${url.hostname} resolves to a loopback or private address (list that address itself to allow it)`);
    }
  }

  // Every connection resolves through here: the addresses it connects to are the ones checked.
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    const name = hostname.toLowerCase();
    resolveHost(hostname).then((found) => {
      const addresses = options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found;
      const refused = addresses.length === 0 || addresses.some((a) => !addressPermitted(a.address, name));
      if (refused) return callback(Object.assign(new Error(`webhook host ${hostname} resolves to a loopback or private address`), { code: 'EWEBHOOKREFUSED' }), '', 0);
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    }, (error: NodeJS.ErrnoException) => callback(error, '', 0));
  };
  const agent = new Agent({ connect: { lookup: guardedLookup, timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });

  async function post(raw: string, body: string, headers: Record<string, string>): Promise<number> {
    // An IP literal never reaches the lookup; it is allowed only when listed as itself.
    allowedTarget(raw);
    const response = await request(raw, { method: 'POST', body, headers: { 'content-type': 'application/json', 'user-agent': 'switchboard-webhooks', ...headers }, dispatcher: agent });
    await response.body.dump();
    return response.statusCode;
  }

  return { check, post, close: () => agent.close() };
}
