// The types a TypeScript service needs, as emitted declarations (dist/client/types.d.ts):
// the router, every procedure's input and output, and the stream events.
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../src/trpc/router.ts';

export type { AppRouter };

/** Inputs of every procedure, by path: `RouterInputs['usage']['report']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every query and mutation, by path: `RouterOutputs['generate']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** The values a subscription yields (its output is an async iterable of them). */
type Yielded<T> = T extends AsyncIterable<infer E> ? E : never;

export type GenerateInput = RouterInputs['generate'];
export type ChatInput = RouterInputs['chat'];
export type UsageReportInput = RouterInputs['usage']['report'];
export type Generation = RouterOutputs['generate'];
export type ChatTurn = RouterOutputs['chat'];
export type UsageReport = RouterOutputs['usage']['report'];
export type Me = RouterOutputs['me'];

/** `generateStream` events, a union on `type` (`delta`, `completed`, ...). */
export type GenerationEvent = Yielded<RouterOutputs['generateStream']>;
/** `chatStream` events, a union on `type` (`conversationStarted`, `delta`, `completed`, ...). */
export type ChatEvent = Yielded<RouterOutputs['chatStream']>;
