// Assembles what a call produced, streamed or not: text, tool calls (from index/id/name and
// argument fragments, kept in arrival order per call), reasoning text and the finish reasons;
// and turns upstream events into the client's stream events. The call runner feeds it; the
// generation's output fields (toolCalls, json, reasoningText, finishReason, rawFinishReason)
// come from here.
import type { FinishReason, ResponseFormat, ToolCall, UpstreamEvent, UpstreamResult } from '../../upstream/call-vocabulary.ts';
import type { GenerationOutput, OutputStreamEvent } from './generation-view.ts';
import { jsonOutputOf } from './json-output.ts';

type ContentEvent = Extract<UpstreamEvent, { type: 'delta' | 'toolCallDelta' | 'reasoningDelta' }>;

export class OutputAccumulator {
  text = '';
  reasoning = '';
  finishReason: FinishReason | null = null;
  rawFinishReason: string | null = null;
  #calls: Array<{ id: string; name: string; fragments: string[] }> = [];
  #textIndex = 0;

  /** One content event from the upstream; returns the event for the client (none for an empty fragment of nothing new). */
  apply(event: ContentEvent): OutputStreamEvent | undefined {
    if (event.type === 'delta') {
      if (event.text === '') return undefined;
      this.text += event.text;
      return { type: 'delta', index: this.#textIndex++, text: event.text };
    }
    if (event.type === 'reasoningDelta') {
      if (event.text === '') return undefined;
      this.reasoning += event.text;
      return { type: 'reasoningDelta', text: event.text };
    }
    const call = (this.#calls[event.index] ??= { id: '', name: '', fragments: [] });
    const id = event.id && event.id !== call.id ? event.id : undefined;
    const name = event.name && event.name !== call.name ? event.name : undefined;
    if (id) call.id = id;
    if (name) call.name = name;
    if (event.argumentsDelta !== '') call.fragments.push(event.argumentsDelta);
    if (!id && !name && event.argumentsDelta === '') return undefined;
    return { type: 'toolCallDelta', index: event.index, id: id ?? null, name: name ?? null, argumentsDelta: event.argumentsDelta };
  }

  /** The terminal event's finish reasons. */
  finish(event: { finishReason?: FinishReason; rawFinishReason?: string }): void {
    this.finishReason = event.finishReason ?? null;
    this.rawFinishReason = event.rawFinishReason ?? event.finishReason ?? null;
  }

  /** The assembled tool calls, by index (empty arguments become "{}"). */
  toolCalls(): ToolCall[] {
    return this.#calls.filter(Boolean).map((c) => ({ id: c.id, name: c.name, arguments: c.fragments.join('') || '{}' }));
  }

  /** The generation's output fields; json is checked against the asked format. */
  output(format: ResponseFormat | undefined): GenerationOutput {
    return {
      toolCalls: this.toolCalls(),
      ...jsonOutputOf(this.text, format),
      reasoningText: this.reasoning === '' ? null : this.reasoning,
      finishReason: this.finishReason,
      rawFinishReason: this.rawFinishReason,
    };
  }

  /** A non-streamed result, as if it had streamed. */
  static fromResult(result: UpstreamResult): OutputAccumulator {
    const acc = new OutputAccumulator();
    acc.text = result.text;
    acc.reasoning = result.reasoningText ?? '';
    result.toolCalls.forEach((call, index) => acc.apply({ type: 'toolCallDelta', index, id: call.id, name: call.name, argumentsDelta: call.arguments }));
    acc.finish(result);
    return acc;
  }
}
