// The dashboard page: sign-in, then the controls and the panels, every number read through the
// public GraphQL API with the signed-in key.
import './style.css';
import { announce, fill, h } from './dom.ts';
import { MeQuery } from './documents.ts';
import { ApiError, request } from './graphql.ts';
import { requestLimits, type Limits } from './limits-request.ts';
import { budgetPanel, LIMITS } from './panels/budget.ts';
import type { Me, Panel, PanelContext } from './panels/context.ts';
import { conversationsPanel } from './panels/conversations.ts';
import { performancePanel } from './panels/performance.ts';
import { recentCallsPanel } from './panels/recent-calls.ts';
import { reconciliationPanel } from './panels/reconciliation.ts';
import { topListsPanel } from './panels/top-lists.ts';
import { totalsPanel } from './panels/totals.ts';
import { createUsageChartPanel } from './panels/usage-chart.ts';
import { session } from './session.ts';
import { renderAuditView } from './audit-view.ts';
import { renderSignIn } from './sign-in.ts';
import { METRICS, rangeOf, readState, STACKS, writeState, type ViewState } from './view-state.ts';

const root = document.getElementById('app')!;
const SIGNED_OUT = 'Your API key is no longer accepted (revoked or expired). Sign in with a valid key.';

function signOut(notice?: string): void {
  session.signOut(notice);
  document.documentElement.dataset.state = 'signed-out';
  renderSignIn(root, () => void start());
}

async function start(): Promise<void> {
  const apiKey = session.key();
  if (!apiKey) return signOut();
  document.documentElement.dataset.state = 'loading';
  // The limits panel's request needs no role: it goes beside MeQuery (the other panels need the role).
  const limits = requestLimits(apiKey);
  limits.catch(() => undefined); // its failure is the limits panel's to show
  let me: Me;
  try {
    me = (await request(MeQuery, {}, apiKey)).me;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') return signOut(SIGNED_OUT);
    fill(root, h('main', { id: 'main' }, h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : 'The server failed.')));
    return;
  }
  renderDashboard(apiKey, me, limits);
}

const RANGE_LABELS: Array<[ViewState['range'], string]> = [['1d', 'Today'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['90d', 'Last 90 days'], ['custom', 'Custom']];
const METRIC_LABELS: Record<(typeof METRICS)[number], string> = { cost: 'Spend', tokens: 'Tokens', requests: 'Requests' };
const STACK_LABELS: Record<(typeof STACKS)[number], string> = { MODEL: 'Model', API: 'API', GATEWAY: 'Gateway', TEAM: 'Team', SURFACE: 'Surface' };

/** `limits`: the limits request sent beside MeQuery, which the first load's limits panel draws. */
function renderDashboard(apiKey: string, me: Me, limits: Promise<Limits>): void {
  const isAdmin = me.role === 'ADMIN';
  const usageChart = createUsageChartPanel();
  const panels: Array<{ panel: Panel; wide?: boolean }> = [
    { panel: totalsPanel, wide: true },
    { panel: usageChart, wide: true },
    { panel: budgetPanel },
    { panel: reconciliationPanel },
    { panel: topListsPanel, wide: true },
    { panel: performancePanel, wide: true },
    { panel: recentCallsPanel, wide: true },
    { panel: conversationsPanel, wide: true },
  ];
  const bodies = new Map<string, HTMLElement>();
  const sections = panels.map(({ panel, wide }) => {
    const body = h('div', { class: 'panel-body', 'data-testid': `panel-${panel.id}` });
    bodies.set(panel.id, body);
    return h('section', { class: `panel${wide ? ' wide' : ''}`, id: `panel-${panel.id}`, 'aria-labelledby': `${panel.id}-title`, 'aria-busy': 'true' }, h('h2', { id: `${panel.id}-title` }, panel.title), body);
  });

  const controls = h('form', { class: 'controls', 'aria-label': 'What to show', 'data-testid': 'controls' });
  const header = h(
    'header',
    { class: 'top' },
    h('h1', {}, 'Switchboard usage'),
    h('div', { class: 'who' }, h('span', { 'data-testid': 'signed-in-as' }, `${me.email}`), h('span', { class: 'role' }, me.role === 'ADMIN' ? 'admin' : 'user'), h('button', { type: 'button', class: 'secondary', onclick: () => signOut() }, 'Sign out')),
  );
  // Admins have a second tab, "Audit": the audit log and the budget alerts (#audit in the URL).
  const usageView = h('div', { id: 'usage-view', role: isAdmin ? 'tabpanel' : null }, controls, h('div', { class: 'grid' }, ...sections));
  const auditView = h('div', { id: 'audit-view', role: 'tabpanel', 'data-testid': 'audit-view', hidden: true });
  const tabButton = (tab: 'usage' | 'audit', label: string) =>
    h('button', { type: 'button', role: 'tab', id: `tab-${tab}`, class: 'tab', 'aria-controls': `${tab}-view`, onclick: () => showTab(tab, true) }, label);
  const tabs = isAdmin ? h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Views' }, tabButton('usage', 'Usage'), tabButton('audit', 'Audit')) : null;
  fill(root, header, h('main', { id: 'main', tabindex: -1 }, tabs, usageView, isAdmin ? auditView : null));

  function showTab(tab: 'usage' | 'audit', push = false): void {
    usageView.hidden = tab !== 'usage';
    auditView.hidden = tab !== 'audit';
    for (const name of ['usage', 'audit']) document.getElementById(`tab-${name}`)?.setAttribute('aria-selected', String(name === tab));
    if (push) history.pushState(null, '', `${location.pathname}${location.search}${tab === 'audit' ? '#audit' : ''}`);
    if (tab !== 'audit') return;
    document.documentElement.dataset.auditState = 'loading';
    renderAuditView(auditView, apiKey).then(
      () => (document.documentElement.dataset.auditState = 'ready'),
      (error: unknown) => {
        if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') return signOut(SIGNED_OUT);
        fill(auditView, h('p', { class: 'error', role: 'alert' }, `Could not load: ${error instanceof Error ? error.message : String(error)}`));
        document.documentElement.dataset.auditState = 'error';
      },
    );
  }
  if (isAdmin) showTab(location.hash === '#audit' ? 'audit' : 'usage');

  let generation = 0;
  let previous: ViewState | undefined;

  const load = async (only?: Set<string>) => {
    const run = ++generation;
    const state = readState(location.search);
    if (!isAdmin) Object.assign(state, { user: '', key: '', team: '', tag: '' });
    renderControls(state);
    const { from, to, days } = rangeOf(state);
    const shared = new Map<string, Promise<unknown>>(run === 1 ? [[LIMITS, limits]] : []);
    const ctx: PanelContext = {
      apiKey,
      me,
      isAdmin,
      state,
      from,
      to,
      days,
      scope: isAdmin ? (state.user ? { userId: state.user } : { allUsers: true }) : {},
      update: (change) => {
        const next = readState(location.search);
        change(next);
        history.pushState(null, '', `${location.pathname}${writeState(next)}`);
        void load(changedPanels(state, next));
      },
      once<T>(key: string, fetch: () => Promise<T>): Promise<T> {
        if (!shared.has(key)) shared.set(key, fetch());
        return shared.get(key) as Promise<T>;
      },
    };
    document.documentElement.dataset.state = 'loading';
    const chosen = panels.filter(({ panel }) => !only || only.has(panel.id));
    const outcomes = await Promise.allSettled(
      chosen.map(async ({ panel }) => {
        const section = document.getElementById(`panel-${panel.id}`)!;
        section.setAttribute('aria-busy', 'true');
        try {
          await panel.load(ctx, bodies.get(panel.id)!);
        } finally {
          section.setAttribute('aria-busy', 'false');
        }
      }),
    );
    if (run !== generation) return;
    const failures = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [[chosen[i]!.panel, o.reason] as const] : []));
    if (failures.some(([, e]) => e instanceof ApiError && e.code === 'UNAUTHENTICATED')) return signOut(SIGNED_OUT);
    for (const [panel, error] of failures) {
      fill(bodies.get(panel.id)!, h('p', { class: 'error', role: 'alert' }, `Could not load: ${error instanceof Error ? error.message : String(error)}`));
    }
    previous = state;
    document.documentElement.dataset.state = 'ready';
    document.documentElement.dataset.loads = String(Number(document.documentElement.dataset.loads ?? 0) + 1);
    announce(`Updated: ${rangeLabel(state)}.`);
  };

  /** Panels that depend on what changed between two states (all of them for the range or the filters). */
  function changedPanels(a: ViewState, b: ViewState): Set<string> | undefined {
    const same = (keys: Array<keyof ViewState>) => keys.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
    if (!same(['range', 'fromDay', 'toDay', 'user', 'key', 'team', 'tag'])) return undefined;
    const ids = new Set<string>();
    if (!same(['metric', 'stack'])) ids.add('usage');
    if (!same(['calls'])) ids.add('calls');
    return ids;
  }

  function rangeLabel(s: ViewState): string {
    const r = rangeOf(s);
    return `${r.days[0]} to ${r.days[r.days.length - 1]}`;
  }

  function renderControls(state: ViewState): void {
    const change = (fn: (s: ViewState) => void) => {
      const next = readState(location.search);
      fn(next);
      history.pushState(null, '', `${location.pathname}${writeState(next)}`);
      void load(previous ? changedPanels(previous, next) : undefined);
    };
    const select = <T extends string>(id: string, label: string, value: T, options: Array<[T, string]>, set: (s: ViewState, v: T) => void) =>
      h(
        'label',
        { class: 'field' },
        h('span', {}, label),
        h('select', { id, name: id, onchange: (e: Event) => change((s) => set(s, (e.target as HTMLSelectElement).value as T)) }, ...options.map(([v, l]) => h('option', { value: v, selected: v === value }, l))),
      );
    const day = (id: string, label: string, value: string, set: (s: ViewState, v: string) => void) =>
      h('label', { class: 'field' }, h('span', {}, label), h('input', { id, type: 'date', value, onchange: (e: Event) => change((s) => set(s, (e.target as HTMLInputElement).value)) }));
    const text = (id: string, label: string, value: string, placeholder: string, set: (s: ViewState, v: string) => void) =>
      h('label', { class: 'field' }, h('span', {}, label), h('input', { id, value, placeholder, autocomplete: 'off', onchange: (e: Event) => change((s) => set(s, (e.target as HTMLInputElement).value.trim())) }));
    const r = rangeOf(state);
    const focused = document.activeElement instanceof HTMLElement && controls.contains(document.activeElement) ? document.activeElement.id : '';
    fill(
      controls,
      select('range', 'Range', state.range, RANGE_LABELS, (s, v) => {
        s.range = v;
        if (v === 'custom' && (!s.fromDay || !s.toDay)) [s.fromDay, s.toDay] = [r.days[0]!, r.days[r.days.length - 1]!];
      }),
      state.range === 'custom' ? day('from-day', 'From', state.fromDay, (s, v) => (s.fromDay = v)) : null,
      state.range === 'custom' ? day('to-day', 'To', state.toDay, (s, v) => (s.toDay = v)) : null,
      select('metric', 'Show', state.metric, METRICS.map((m) => [m, METRIC_LABELS[m]]), (s, v) => (s.metric = v)),
      select('stack', 'Stack by', state.stack, (isAdmin ? STACKS : STACKS.filter((x) => x !== 'TEAM')).map((m) => [m, STACK_LABELS[m]]), (s, v) => (s.stack = v)),
      isAdmin
        ? h(
            'details',
            { class: 'admin-filters', open: Boolean(state.user || state.key || state.team || state.tag) || matchMedia('(min-width: 701px)').matches },
            h('summary', {}, 'Filter by user, key, team or tag'),
            h(
              'div',
              { class: 'admin-filter-fields' },
              text('filter-user', 'User id', state.user, 'all users', (s, v) => (s.user = v)),
              text('filter-key', 'Key id', state.key, 'any key', (s, v) => (s.key = v)),
              text('filter-team', 'Team id', state.team, 'any team', (s, v) => (s.team = v)),
              text('filter-tag', 'Tag', state.tag, 'key=value', (s, v) => (s.tag = v)),
            ),
          )
        : null,
      h('p', { class: 'range-note', 'data-testid': 'range-label' }, `${rangeLabel(state)} (UTC days)`),
    );
    controls.onsubmit = (e) => e.preventDefault();
    if (focused) document.getElementById(focused)?.focus();
  }

  window.onpopstate = () => {
    if (isAdmin) showTab(location.hash === '#audit' ? 'audit' : 'usage');
    void load();
  };
  void load();
}

void start();
