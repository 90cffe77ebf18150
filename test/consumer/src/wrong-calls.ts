// Calls a TypeScript service must not be able to write: every line below fails to compile. The
// consumer test type-checks this file; a line that compiled would leave its @ts-expect-error
// unused, which is itself an error (TS2578). Never run: it only has to type-check.
import { createSwitchboardClient } from '@switchboard/client';

export async function wrongCalls(): Promise<void> {
  const c = createSwitchboardClient({ url: 'http://127.0.0.1:4000', apiKey: 'k' });
  // @ts-expect-error a date input is string | Date, not a number or an array
  await c.usage.recentCalls.query({ from: 42, to: [] });
  // @ts-expect-error the dates of modelPerformance
  await c.usage.modelPerformance.query({ from: 42, to: new Date() });
  // @ts-expect-error the dates of conversationCosts
  await c.usage.conversationCosts.query({ from: new Date(), to: true });
  // @ts-expect-error the dates of the reconciliation report
  await c.usage.reconciliation.query({ from: {}, to: new Date() });
  // @ts-expect-error the dates of admin.reconcileUsage
  await c.admin.reconcileUsage.mutate({ from: 1, to: 2 });
  // @ts-expect-error the dates of usage.report
  await c.usage.report.query({ from: 1, to: '2026-01-01', groupBy: [] });
  // @ts-expect-error a model is a string
  await c.generate.mutate({ model: 1, prompt: 'x' });
  // @ts-expect-error no such procedure
  await c.generateEverything.mutate({ model: 'openai/gpt-5.5' });
  // @ts-expect-error a dimension from the enum only
  await c.usage.report.query({ from: new Date(), to: new Date(), groupBy: ['HOUR'] });
  // @ts-expect-error maxTokens is a number
  await c.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'x', maxTokens: '10' });
  // @ts-expect-error a stream event's text exists only on a delta
  c.generateStream.subscribe({ model: 'openai/gpt-5.5', prompt: 'x' }, { onData: (e) => e.type === 'completed' && e.text });
}
