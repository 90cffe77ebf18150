// The admin's key / team / tag filters narrow usageReport (totals, chart, top lists) and, for key
// and team, the recent calls; the other panels' reads do not take them. A panel says so when such
// a filter is set, rather than show wider numbers as if they were narrowed.
import { h } from '../dom.ts';
import type { PanelContext } from './context.ts';

type AdminFilter = 'key' | 'team' | 'tag';
const NAMES: Record<AdminFilter, string> = { key: 'key', team: 'team', tag: 'tag' };

/** A note naming the set filters this panel does not apply, or null when there is none. */
export function unappliedFilters(ctx: PanelContext, panelId: string, applies: readonly AdminFilter[] = []): HTMLElement | null {
  if (!ctx.isAdmin) return null;
  const ignored = (['key', 'team', 'tag'] as const).filter((f) => ctx.state[f] && !applies.includes(f));
  if (ignored.length === 0) return null;
  const list = ignored.map((f) => NAMES[f]).join(ignored.length === 2 ? ' and ' : ', ');
  return h('p', { class: 'panel-sub notice', 'data-testid': `${panelId}-not-narrowed` }, `Not narrowed by the ${list} filter${ignored.length > 1 ? 's' : ''}: this panel covers ${ctx.state.user ? 'the chosen user' : 'all users'}.`);
}
