// GET /v1/models: the `models` catalogue as the SDKs list it. OpenAI's shape
// ({object: "list", data: [{id, object: "model", created, owned_by}]}) by default; Anthropic's
// ({data: [{type: "model", id, display_name, created_at}], has_more, first_id, last_id}) for a
// client that sends `anthropic-version`, as the Anthropic SDK does. No upstream call, no ledger row.
import type { CompatRoute } from './route.ts';

export const modelsRoute: CompatRoute = {
  method: 'GET',
  path: '/v1/models',
  surface: 'OPENAI',
  envelope: 'openai',
  operation: 'openai.models',
  async serve(call) {
    const models = call.services.pricing.models();
    if (call.anthropicClient) {
      const data = models.map((m) => ({ type: 'model', id: m.id, display_name: m.id, created_at: new Date(0).toISOString() }));
      return call.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    }
    return call.json({ object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider })) });
  },
};
