// Text deltas that arrive together (one network read of an upstream stream) go on as one event,
// except the stream's first, which is always sent alone as soon as it arrives (the contract:
// "deltas that arrive together after it may be merged into one event"). A burst of twenty
// deltas then costs the GraphQL and tRPC layers two events instead of twenty; deltas that
// arrive apart are unchanged. Other events keep their order and split the runs they sit in.
import type { UpstreamEvent } from './call-vocabulary.ts';

export class DeltaBatcher {
  #firstSent = false;

  /** The events of one network read, with each run of adjacent text deltas merged. */
  batch(events: readonly UpstreamEvent[]): UpstreamEvent[] {
    const out: UpstreamEvent[] = [];
    let run: string[] | undefined;
    const close = () => {
      if (run) out.push({ type: 'delta', text: run.length === 1 ? run[0]! : run.join('') });
      run = undefined;
    };
    for (const event of events) {
      if (event.type !== 'delta') {
        close();
        out.push(event);
      } else if (!this.#firstSent) {
        this.#firstSent = true;
        out.push(event);
      } else {
        (run ??= []).push(event.text);
      }
    }
    close();
    return out;
  }
}
