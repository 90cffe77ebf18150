// A TypeScript service using Switchboard through `switchboard/client`: calls over HTTP (batched),
// a subscription over SSE (the default) and one over WebSocket; prints what it got as JSON.
// SWITCHBOARD_URL and SWITCHBOARD_API_KEY say where and as whom.
import {
  type AppRouter,
  closeSwitchboardClient,
  createSwitchboardClient,
  type ChatEvent,
  type Generation,
  type GenerationEvent,
  type RouterInputs,
  type UsageReportInput,
} from '@switchboard/client';

const url = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:4000';
const apiKey = process.env.SWITCHBOARD_API_KEY ?? '';

// Dates are typed: an ISO string or a Date, never unknown.
type DateIn = UsageReportInput['from'];
const asDate: DateIn = new Date(Date.now() - 3_600_000);
const asString: DateIn = new Date(Date.now() + 3_600_000).toISOString();
// @ts-expect-error a number is not a date input (this line fails to compile if `from` were unknown)
const notADate: DateIn = 42;
void notADate;
// The router type is usable on its own too.
type ProcedurePaths = keyof AppRouter['_def']['record'];
const generatePath: ProcedurePaths = 'generate';

interface Handlers<T> {
  onData: (value: T) => void;
  onError: (error: unknown) => void;
  onComplete: () => void;
}
function collect<T>(subscribe: (handlers: Handlers<T>) => { unsubscribe: () => void }): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const events: T[] = [];
    subscribe({ onData: (e) => events.push(e), onError: reject, onComplete: () => resolve(events) });
  });
}
const textOf = (events: ReadonlyArray<GenerationEvent | ChatEvent>) =>
  events.map((e) => (e.type === 'delta' ? e.text : '')).join('');

const client = createSwitchboardClient({ url, apiKey });
const [me, generation] = await Promise.all([
  client.me.query(),
  client.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'hello over http' }),
]);
const typed: Generation = generation;
const reportInput: RouterInputs['usage']['report'] = { from: asDate, to: asString, groupBy: ['MODEL'] };
const report = await client.usage.report.query(reportInput);

const sseEvents = await collect<GenerationEvent>((h) => client.generateStream.subscribe({ model: 'openai/gpt-5.5', prompt: 'stream over sse' }, h));
const sseDone = sseEvents.find((e) => e.type === 'completed');

const ws = createSwitchboardClient({ url, apiKey, transport: 'ws' });
const wsEvents = await collect<ChatEvent>((h) => ws.chatStream.subscribe({ model: 'anthropic/claude-sonnet-4-5', message: 'chat over ws' }, h));
await closeSwitchboardClient(ws);
const wsDone = wsEvents.find((e) => e.type === 'completed');

process.stdout.write(
  `${JSON.stringify({
    path: generatePath,
    me: { id: me.id, email: me.email },
    http: { id: typed.id, text: typed.text, totalTokens: typed.usage.totalTokens },
    report: { requests: report.totals.requests, models: report.rows.map((r) => r.model) },
    sse: { types: sseEvents.map((e) => e.type), text: textOf(sseEvents), id: sseDone?.type === 'completed' ? sseDone.generation.id : null },
    ws: {
      types: wsEvents.map((e) => e.type),
      text: textOf(wsEvents),
      id: wsDone?.type === 'completed' ? wsDone.turn.generation.id : null,
      conversationId: wsDone?.type === 'completed' ? wsDone.turn.conversation.id : null,
    },
  })}\n`,
);
