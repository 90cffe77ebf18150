// What the page shows, kept in the URL's query string (shareable, back/forward work). The URL
// never decides what a caller may see: the server scopes every query to the key's own data
// unless the key is an admin's, and the page ignores the admin filters for a USER.

export const RANGES = { '1d': 1, '7d': 7, '30d': 30, '90d': 90 } as const;
export type RangeName = keyof typeof RANGES | 'custom';
export const METRICS = ['cost', 'tokens', 'requests'] as const;
export type Metric = (typeof METRICS)[number];
export const STACKS = ['MODEL', 'API', 'GATEWAY', 'TEAM', 'SURFACE'] as const;
export type Stack = (typeof STACKS)[number];

export interface CallFilters {
  status: string;
  model: string;
  gateway: string;
  minLatencyMs: string;
  minTtftMs: string;
  minTokens: string;
  minCostUsd: string;
  estimated: '' | 'yes' | 'no';
  reconciliation: string;
}

export interface ViewState {
  range: RangeName;
  /** YYYY-MM-DD, inclusive; only for a custom range. */
  fromDay: string;
  toDay: string;
  metric: Metric;
  stack: Stack;
  /** Admin filters. */
  user: string;
  key: string;
  team: string;
  tag: string;
  calls: CallFilters;
}

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const pick = <T extends string>(value: string | null, allowed: readonly T[], fallback: T): T => (allowed.includes(value as T) ? (value as T) : fallback);
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

export function readState(search: string): ViewState {
  const q = new URLSearchParams(search);
  const s = (name: string) => (q.get(name) ?? '').trim().slice(0, 200);
  const range = pick(q.get('range'), ['1d', '7d', '30d', '90d', 'custom'] as const, '30d');
  const fromDay = DAY_RE.test(s('from')) ? s('from') : '';
  const toDay = DAY_RE.test(s('to')) ? s('to') : '';
  return {
    range: range === 'custom' && (!fromDay || !toDay) ? '30d' : range,
    fromDay,
    toDay,
    metric: pick(q.get('metric'), METRICS, 'cost'),
    stack: pick(q.get('stack'), STACKS, 'MODEL'),
    user: s('user'),
    key: s('key'),
    team: s('team'),
    tag: s('tag'),
    calls: {
      status: s('status'),
      model: s('model'),
      gateway: s('gateway'),
      minLatencyMs: s('minLatency'),
      minTtftMs: s('minTtft'),
      minTokens: s('minTokens'),
      minCostUsd: s('minCost'),
      estimated: pick(q.get('estimated'), ['', 'yes', 'no'] as const, ''),
      reconciliation: s('recon'),
    },
  };
}

export function writeState(state: ViewState): string {
  const q = new URLSearchParams();
  const set = (name: string, value: string, fallback = '') => value !== fallback && q.set(name, value);
  set('range', state.range, '30d');
  if (state.range === 'custom') {
    set('from', state.fromDay);
    set('to', state.toDay);
  }
  set('metric', state.metric, 'cost');
  set('stack', state.stack, 'MODEL');
  set('user', state.user);
  set('key', state.key);
  set('team', state.team);
  set('tag', state.tag);
  const c = state.calls;
  set('status', c.status);
  set('model', c.model);
  set('gateway', c.gateway);
  set('minLatency', c.minLatencyMs);
  set('minTtft', c.minTtftMs);
  set('minTokens', c.minTokens);
  set('minCost', c.minCostUsd);
  set('estimated', c.estimated);
  set('recon', c.reconciliation);
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** The range as [from, to) instants: whole UTC days, the last one being today. */
export function rangeOf(state: ViewState, now = new Date()): { from: Date; to: Date; days: string[] } {
  let from: Date;
  let to: Date;
  if (state.range === 'custom') {
    from = new Date(`${state.fromDay}T00:00:00Z`);
    to = new Date(new Date(`${state.toDay}T00:00:00Z`).getTime() + DAY_MS);
    if (!(from < to)) [from, to] = [new Date(to.getTime() - DAY_MS), new Date(from.getTime() + DAY_MS)];
  } else {
    to = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS + DAY_MS);
    from = new Date(to.getTime() - RANGES[state.range] * DAY_MS);
  }
  const days: string[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += DAY_MS) days.push(isoDay(new Date(t)));
  return { from, to, days };
}

/** A tag filter "key=value" as the JSON object usageReport's `tags` takes. */
export function tagFilter(tag: string): Record<string, string> | null {
  const at = tag.indexOf('=');
  if (at <= 0) return null;
  return { [tag.slice(0, at).trim()]: tag.slice(at + 1).trim() };
}
