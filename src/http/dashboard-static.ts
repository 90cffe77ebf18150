// Serves the dashboard page (/dashboard) from its Vite build in dist/dashboard: read once into
// memory with a gzip copy of each file, hashed assets cached for a year, the page never cached.
// Only files of the build are served (no path from the URL reaches the file system).
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard', import.meta.url));

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  json: 'application/json',
};

/** The page may load only its own files and talk only to this server. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface StaticFile {
  body: Buffer;
  gzip: Buffer;
  type: string;
  immutable: boolean;
}

async function load(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const url = relative(dir, path).split(sep).join('/');
    const body = await readFile(path);
    const ext = entry.name.split('.').pop() ?? '';
    files.set(url, { body, gzip: gzipSync(body, { level: 9 }), type: TYPES[ext] ?? 'application/octet-stream', immutable: url.startsWith('assets/') });
  }
  return files;
}

export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createDashboardHandler({ dir = DASHBOARD_DIR }: { dir?: string } = {}): DashboardHandler {
  let files: Promise<Map<string, StaticFile>> | undefined;
  return async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (path === '/dashboard') {
      const query = (req.url ?? '').slice(path.length);
      res.writeHead(308, { location: `/dashboard/${query}` });
      res.end();
      return;
    }
    files ??= load(dir).catch((error: unknown) => {
      files = undefined;
      throw error;
    });
    let map: Map<string, StaticFile>;
    try {
      map = await files;
    } catch {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The dashboard is not built: run `npm run dashboard:build` (npm install does it).\n');
      return;
    }
    const name = path.slice('/dashboard/'.length) || 'index.html';
    const file = map.get(name) ?? (name.includes('.') ? undefined : map.get('index.html'));
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(file ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(file ? 'Method not allowed\n' : 'Not found\n');
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzip : file.body;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': file.type,
      'content-length': body.length,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      vary: 'accept-encoding',
      ...(gzip && { 'content-encoding': 'gzip' }),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
