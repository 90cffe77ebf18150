// Baseline 1: the least a Node process can do to pass a call through. A node:http server that
// forwards POST /ai/v1/chat/completions to the upstream with an undici Pool and pipes the reply
// back (a whole reply in one write; a stream chunk by chunk as it arrives). No parsing, no auth,
// no database.
import { createServer, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { announce, onStop } from './lib/announce.ts';

const upstreamBase = process.env.BENCH_UPSTREAM_BASE_URL;
if (!upstreamBase) throw new Error('BENCH_UPSTREAM_BASE_URL is required');
const base = new URL(upstreamBase);
const pool = new Pool(base.origin, { connections: 128, pipelining: 1 });
const upstreamPath = `${base.pathname}/accounts/bench/ai/v1/chat/completions`;

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/ai/v1/chat/completions') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => void forward(Buffer.concat(chunks), res));
});

function forward(body: Buffer, res: ServerResponse): Promise<void> {
  return pool
    .request({
      method: 'POST',
      path: upstreamPath,
      headers: { 'content-type': 'application/json', authorization: 'Bearer relay-token' },
      body,
    })
    .then(async (up) => {
      const contentType = String(up.headers['content-type'] ?? 'application/json');
      if (!contentType.startsWith('text/event-stream')) {
        // A whole reply: read it, send it in one write.
        const reply = Buffer.from(await up.body.arrayBuffer());
        res.writeHead(up.statusCode, { 'content-type': contentType, 'content-length': reply.length }).end(reply);
        return;
      }
      // A stream: each upstream chunk goes out as it arrives.
      res.writeHead(up.statusCode, { 'content-type': contentType, 'cache-control': 'no-cache' });
      res.flushHeaders();
      await pipeline(up.body, res);
    })
    .catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
}
server.keepAliveTimeout = 30_000;

await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
const port = typeof address === 'object' && address ? address.port : 0;
announce({ url: `http://127.0.0.1:${port}` });
onStop(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await pool.close();
});
