// POST /v1/embeddings: OpenAI's Embeddings wire format over the `embed` operation (the same
// pipeline, limits and ledger row as GraphQL's and tRPC's embed). `input` is a string or a list of
// strings (token arrays are refused: Switchboard bounds and records text); `encoding_format`
// "base64" gives float32 little-endian vectors as the SDK expects; `dimensions` passes on, and so
// does every field Switchboard does not read (`user`, new parameters), as they are.
import { embedInput } from '../domain/modalities/schemas.ts';
import { parseInput } from '../domain/validation.ts';
import { badInput } from '../platform/errors.ts';
import type { CompatRoute } from './route.ts';

function textsOf(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((t) => typeof t === 'string')) return input as string[];
  throw badInput('input', 'input must be a string or a list of strings (token arrays are not accepted)');
}

export const embeddingsRoute: CompatRoute = {
  method: 'POST',
  path: '/v1/embeddings',
  surface: 'OPENAI',
  envelope: 'openai',
  operation: 'openai.embeddings',
  async serve(call) {
    const { body } = call;
    const encoding = body.encoding_format === undefined || body.encoding_format === 'float' ? 'FLOAT' : body.encoding_format === 'base64' ? 'BASE64' : undefined;
    if (!encoding) throw badInput('encoding_format', 'encoding_format must be "float" or "base64"');
    const input = parseInput(embedInput, {
      model: body.model,
      texts: textsOf(body.input),
      ...(body.dimensions !== undefined && { dimensions: body.dimensions }),
      encoding,
      ...call.headerInput(),
    });
    // Upstream is asked for floats (base64 is made here), so encoding_format stays behind.
    const { model: _model, input: _input, encoding_format: _encoding, dimensions: _dimensions, ...unread } = body;
    const result = await call.services.modalities.embed(call.principal, input, call.options({ streaming: false, ...(Object.keys(unread).length > 0 && { extraBody: unread }) }));
    const vectors = encoding === 'BASE64' ? result.base64Vectors ?? [] : result.vectors ?? [];
    return call.json({
      object: 'list',
      data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      model: result.model,
      usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.totalTokens },
    });
  },
};
