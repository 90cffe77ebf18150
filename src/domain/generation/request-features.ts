// The features beyond plain text, from validated options into the upstream request, and the
// check that the chosen API can express them: a feature it cannot is BAD_INPUT naming the field,
// before anything is reserved, stored or sent.
import type { ResponseFormat, ToolChoice, UpstreamApi, UpstreamRequest } from '../../upstream/call-vocabulary.ts';
import { AppError } from '../../platform/errors.ts';
import { THINKING_BUDGET } from '../../upstream/formats/messages.ts';
import type { GenerationOptions } from './schemas.ts';

type Features = Pick<UpstreamRequest, 'tools' | 'toolChoice' | 'responseFormat' | 'stop' | 'topP' | 'reasoningEffort'>;

export function requestFeatures(options: GenerationOptions): Features {
  const out: Features = {};
  if (options.tools?.length) {
    out.tools = options.tools.map((t) => ({ name: t.name, ...(t.description != null && { description: t.description }), parameters: t.parameters }));
  }
  if (options.toolChoice) {
    out.toolChoice = (options.toolChoice.mode === 'TOOL' ? { mode: 'TOOL', name: options.toolChoice.name! } : { mode: options.toolChoice.mode }) as ToolChoice;
  }
  const format = options.responseFormat;
  if (format && format.type !== 'TEXT') {
    out.responseFormat = (
      format.type === 'JSON_SCHEMA'
        ? { type: 'JSON_SCHEMA', schema: format.schema!, ...(format.name != null && { name: format.name }), ...(format.strict != null && { strict: format.strict }) }
        : { type: 'JSON_OBJECT' }
    ) as ResponseFormat;
  }
  if (options.stop?.length) out.stop = options.stop;
  if (options.topP != null) out.topP = options.topP;
  if (options.reasoningEffort) out.reasoningEffort = options.reasoningEffort;
  return out;
}

const unsupported = (field: string, api: UpstreamApi, why: string): AppError =>
  new AppError('BAD_INPUT', `${field}: ${why} on the ${api} API`, { field });

/** Throws BAD_INPUT (with the field) when the request uses a feature its API cannot express. */
export function assertFeaturesSupported(request: UpstreamRequest, api: UpstreamApi): void {
  if (api === 'RESPONSES' && request.stop?.length) throw unsupported('stop', api, 'stop sequences are not supported');
  if ((api === 'CHAT_COMPLETIONS' || api === 'RUN') && (request.stop?.length ?? 0) > 4) throw unsupported('stop', api, 'at most 4 stop sequences are supported');
  if (api !== 'MESSAGES') return;
  const forced = request.toolChoice?.mode === 'REQUIRED' || request.toolChoice?.mode === 'TOOL';
  if (request.responseFormat && forced) throw unsupported('toolChoice', api, 'JSON output is a forced tool, so another tool cannot be forced');
  if (request.responseFormat && request.toolChoice?.mode === 'NONE' && request.tools?.length) {
    throw unsupported('toolChoice', api, 'JSON output is a forced tool, so tool choice NONE cannot apply');
  }
  if (request.reasoningEffort) {
    if (forced || request.responseFormat) throw unsupported('reasoningEffort', api, 'thinking cannot be combined with a forced tool (toolChoice REQUIRED/TOOL or JSON output)');
    const budget = THINKING_BUDGET[request.reasoningEffort];
    if (request.maxTokens !== undefined && request.maxTokens <= budget) {
      throw unsupported('maxTokens', api, `reasoningEffort ${request.reasoningEffort} needs maxTokens above its thinking budget of ${budget}`);
    }
    if (request.temperature !== undefined && request.temperature !== 1) throw unsupported('temperature', api, 'thinking needs the default temperature');
  }
}
