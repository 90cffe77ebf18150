// What the upstream layer itself requires of a request, checked before any byte leaves the
// process (BAD_INPUT with its field): the routing (api, the legacy /ai/run path), Cloudflare's
// headers (gateway id, event id, cache options, metadata limits), the request timeout, and the
// shape every wire format builds on (a message list with known roles, a tool message's call id,
// tools with a schema). The values a caller chooses (model id, prompt, sampling, token limits) are
// the door's: one zod schema per input (src/domain/generation/schemas.ts) checks them once, for
// GraphQL, tRPC and the SDK surfaces alike.
import { badInput } from '../platform/errors.ts';
import { isUpstreamApi } from './routing.ts';
import { GATEWAY_ID, MAX_CACHE_TTL_SECONDS, MAX_METADATA_ENTRIES, type UpstreamRequest } from './call-vocabulary.ts';

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

export function validateUpstreamRequest(req: UpstreamRequest): void {
  const r: Partial<Record<keyof UpstreamRequest, unknown>> = req;
  if (r.api !== undefined && !isUpstreamApi(r.api)) {
    throw badInput('api', 'api must be one of CHAT_COMPLETIONS, RESPONSES, MESSAGES, RUN');
  }
  if (r.legacyRun && !String(r.model).startsWith('@cf/')) {
    throw badInput('legacyRun', 'the legacy /ai/run/{model} path serves only Workers AI (@cf/) models');
  }
  // A non-text call (task) sends no messages.
  if (!req.task && (!Array.isArray(r.messages) || r.messages.length === 0)) throw badInput('messages', 'messages must not be empty');
  for (const m of (r.messages ?? []) as unknown[]) {
    if (!isPlainObject(m) || typeof m.role !== 'string' || !ROLES.has(m.role) || typeof m.content !== 'string') {
      throw badInput('messages', 'each message needs a role (system, user, assistant, tool) and string content');
    }
    if (m.role === 'tool' && (typeof m.toolCallId !== 'string' || m.toolCallId === '')) throw badInput('messages', 'a tool message needs its toolCallId');
  }
  if (r.tools !== undefined && (!Array.isArray(r.tools) || !r.tools.every((t) => isPlainObject(t) && typeof t.name === 'string' && isPlainObject(t.parameters)))) {
    throw badInput('tools', 'each tool needs a name and a JSON Schema object as parameters');
  }
  if (typeof r.gatewayId !== 'string' || !GATEWAY_ID.test(r.gatewayId)) {
    throw badInput('gatewayId', 'gatewayId must be 1-64 letters, digits, "-" or "_"');
  }
  if (typeof r.eventId !== 'string' || r.eventId === '' || r.eventId.length > 128) {
    throw badInput('eventId', 'eventId must be a non-empty string');
  }
  if (r.cache !== undefined) {
    if (!isPlainObject(r.cache)) throw badInput('cache', 'cache must be an object');
    const { ttlSeconds, skip } = r.cache;
    if (ttlSeconds !== undefined && (!Number.isSafeInteger(ttlSeconds) || (ttlSeconds as number) < 1 || (ttlSeconds as number) > MAX_CACHE_TTL_SECONDS)) {
      throw badInput('cache.ttlSeconds', `cache.ttlSeconds must be an integer from 1 to ${MAX_CACHE_TTL_SECONDS}`);
    }
    if (skip !== undefined && typeof skip !== 'boolean') throw badInput('cache.skip', 'cache.skip must be a boolean');
  }
  if (r.metadata !== undefined) {
    if (!isPlainObject(r.metadata)) throw badInput('metadata', 'metadata must be a flat object');
    const entries = Object.entries(r.metadata);
    if (entries.length > MAX_METADATA_ENTRIES) {
      throw badInput('metadata', `metadata takes at most ${MAX_METADATA_ENTRIES} entries`);
    }
    for (const [key, value] of entries) {
      const ok = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
      if (key === '' || !ok) throw badInput('metadata', 'metadata values must be strings, finite numbers or booleans');
    }
  }
  if (r.requestTimeoutMs !== undefined && (!Number.isSafeInteger(r.requestTimeoutMs) || (r.requestTimeoutMs as number) < 1)) {
    throw badInput('requestTimeoutMs', 'requestTimeoutMs must be a positive integer');
  }
}
