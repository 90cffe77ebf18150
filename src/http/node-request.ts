// What the tRPC fast path (src/trpc/fast-path.ts) reads from a node:http
// request without a Fetch Request: its content type, its body as text, and an abort signal for a
// client that goes away, as the frameworks' adapters give them.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The media type is exactly application/json (parameters such as charset allowed). */
export const isJson = (contentType: string | undefined) => contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';

/** The body as UTF-8 text, a byte order mark included. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      resolve((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'));
    });
    req.once('error', reject);
  });
}

/** Aborts when the client goes away before the answer is written (as an adapter's Request signal). */
export function clientGone(req: IncomingMessage, res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  const onAbort = () => {
    res.off('close', onClose);
    req.off('aborted', onAbort);
    ac.abort();
  };
  const onClose = () => {
    if (res.writableEnded) req.off('aborted', onAbort);
    else onAbort();
  };
  res.once('close', onClose);
  req.once('aborted', onAbort);
  return ac.signal;
}
