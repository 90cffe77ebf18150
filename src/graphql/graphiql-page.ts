// GraphiQL, served from the package (works offline) but not as yoga serves it (9 MB of HTML,
// uncompressed, on every load): rendered once, compressed once (brotli and gzip, off the event
// loop, on first request), sent with an ETag and Cache-Control, and 304 when the browser has it.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { renderGraphiQL } from '@graphql-yoga/render-graphiql';

/** The options yoga's own GraphiQL gets (yoga.ts); the page is the same either way. */
export const GRAPHIQL_OPTIONS = { title: 'Switchboard', subscriptionsProtocol: 'SSE' } as const;
const CACHE_CONTROL = 'public, max-age=3600';

interface Page {
  etag: string;
  identity: Buffer;
  br: Buffer;
  gzip: Buffer;
}

export interface GraphiQLPage {
  /** A browser asking for the page: GET /graphql with Accept text/html and no query. */
  wants(req: IncomingMessage, path: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * The page's renderer is loaded on first use: the package holds GraphiQL's 9 MB bundle as source,
 * ~80 MB of resident memory in a process that never serves it (production turns GraphiQL off).
 */
export async function renderGraphiQLLazily(...args: Parameters<typeof renderGraphiQL>): Promise<string> {
  const { renderGraphiQL: render } = await import('@graphql-yoga/render-graphiql');
  return render(...args);
}

async function build(): Promise<Page> {
  const identity = Buffer.from(await renderGraphiQLLazily(GRAPHIQL_OPTIONS));
  const [br, gz] = await Promise.all([
    promisify(brotliCompress)(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
    promisify(gzip)(identity, { level: 6 }),
  ]);
  const etag = `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`;
  return { etag, identity, br, gzip: gz };
}

/** Which encoding to send: brotli, then gzip, then none (q=0 refuses one). */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    accepted.set(name, q ? Number(q.slice(2)) : 1);
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  return ok('br') ? 'br' : ok('gzip') ? 'gzip' : 'identity';
}

export function createGraphiQLPage(): GraphiQLPage {
  let page: Promise<Page> | undefined;
  return {
    wants(req, path) {
      if (req.method !== 'GET' || (path !== '/graphql' && path !== '/graphql/')) return false;
      if (!String(req.headers.accept ?? '').includes('text/html')) return false;
      return !new URL(req.url ?? '/', 'http://x').searchParams.has('query');
    },
    async serve(req, res) {
      page ??= build();
      const p = await page.catch((error: unknown) => {
        page = undefined;
        throw error;
      });
      const headers = { etag: p.etag, 'cache-control': CACHE_CONTROL, vary: 'Accept, Accept-Encoding' };
      const match = String(req.headers['if-none-match'] ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
      if (match.includes(p.etag) || match.includes('*')) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      const encoding = pickEncoding(req.headers['accept-encoding'] as string | undefined);
      const body = encoding === 'br' ? p.br : encoding === 'gzip' ? p.gzip : p.identity;
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/html; charset=utf-8',
        'content-length': body.length,
        ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }),
      });
      res.end(body);
    },
  };
}
