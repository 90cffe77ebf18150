// Reads an audio input given by URL (transcribe's AudioInput.url): one GET (undici's request follows no redirects), at most
// `maxBytes` read, within a timeout. Every failure is BAD_INPUT on field audio.url (the URL is the
// caller's). Hosts that resolve to loopback, private or link-local addresses are refused unless
// `allowPrivate` (tests and offline use).
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { request } from 'undici';
import { AppError, badInput } from '../platform/errors.ts';

export interface FetchedAudio {
  bytes: Buffer;
  mediaType?: string;
}

export type AudioFetcher = (url: string, maxBytes: number, signal?: AbortSignal) => Promise<FetchedAudio>;

const PRIVATE = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10]] as const) PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::1', 128], ['::', 128], ['fc00::', 7], ['fe80::', 10]] as const) PRIVATE.addSubnet(net, prefix, 'ipv6');

const field = 'audio.url';

export function createAudioFetcher({ allowPrivate, timeoutMs = 30_000 }: { allowPrivate: boolean; timeoutMs?: number }): AudioFetcher {
  return async (url, maxBytes, signal) => {
    const target = new URL(url);
    if (!allowPrivate) {
      const host = target.hostname.replace(/^\[|\]$/g, '');
      const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true }).catch(() => []);
      if (addresses.length === 0) throw badInput(field, 'the audio URL\'s host does not resolve');
      if (addresses.some((a) => PRIVATE.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4'))) throw badInput(field, 'the audio URL must point to a public host');
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res;
    try {
      res = await request(target, { method: 'GET', signal: combined });
    } catch (cause) {
      signal?.throwIfAborted();
      throw badInput(field, 'the audio URL could not be read', cause);
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      throw badInput(field, `the audio URL answered HTTP ${res.statusCode}`);
    }
    const declared = Number(res.headers['content-length'] ?? Number.NaN);
    if (declared > maxBytes) {
      await res.body.dump().catch(() => {});
      throw badInput(field, `the audio is over the ${maxBytes}-byte limit (MAX_AUDIO_BYTES)`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) {
          res.body.destroy();
          throw badInput(field, `the audio is over the ${maxBytes}-byte limit (MAX_AUDIO_BYTES)`);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      signal?.throwIfAborted();
      if (error instanceof AppError) throw error;
      throw badInput(field, 'the audio URL could not be read', error);
    }
    const type = res.headers['content-type'];
    const mediaType = typeof type === 'string' && type.startsWith('audio/') ? type.split(';')[0]!.trim() : undefined;
    return { bytes: Buffer.concat(chunks), ...(mediaType && { mediaType }) };
  };
}
