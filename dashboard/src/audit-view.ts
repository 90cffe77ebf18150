// The admin's "Audit" tab: who did what (the audit log, newest first, filtered by action, a page
// at a time) and the budget alerts that are set.
import type { ResultOf } from 'gql.tada';
import { AuditLogQuery, BudgetAlertsQuery } from './documents.ts';
import { fill, h } from './dom.ts';
import { formatTime } from './format.ts';
import { request } from './graphql.ts';
import { dataTable } from './table.ts';

const PAGE = 50;

type AuditRow = ResultOf<typeof AuditLogQuery>['auditLog']['nodes'][number];

/** Renders the tab into `root`; resolves when both lists are shown. */
export async function renderAuditView(root: HTMLElement, apiKey: string): Promise<void> {
  const logBody = h('div', { class: 'panel-body', 'data-testid': 'panel-audit-log' });
  const alertsBody = h('div', { class: 'panel-body', 'data-testid': 'panel-budget-alerts' });
  const filter = h('input', { id: 'audit-action', placeholder: 'e.g. key or key.rotate', autocomplete: 'off' }) as HTMLInputElement;
  const form = h(
    'form',
    { class: 'controls', 'aria-label': 'Filter the audit log' },
    h('label', { class: 'field' }, h('span', {}, 'Action'), filter),
    h('button', { type: 'submit' }, 'Filter'),
  );
  fill(
    root,
    form,
    h(
      'div',
      { class: 'grid' },
      h('section', { class: 'panel wide', id: 'panel-audit-log', 'aria-labelledby': 'audit-log-title' }, h('h2', { id: 'audit-log-title' }, 'Audit log'), logBody),
      h('section', { class: 'panel wide', id: 'panel-budget-alerts', 'aria-labelledby': 'budget-alerts-title' }, h('h2', { id: 'budget-alerts-title' }, 'Budget alerts'), alertsBody),
    ),
  );

  let rows: AuditRow[] = [];
  const loadLog = async (after: string | null) => {
    const action = filter.value.trim();
    const { auditLog } = await request(AuditLogQuery, { input: { first: PAGE, after, ...(action && { action }) } }, apiKey);
    rows = after ? [...rows, ...auditLog.nodes] : auditLog.nodes;
    const more = auditLog.pageInfo.hasNextPage && auditLog.pageInfo.endCursor;
    fill(
      logBody,
      dataTable<AuditRow>({
        id: 'audit',
        caption: 'Administrative and key-management acts, newest first',
        rows,
        empty: 'No recorded acts match.',
        csvName: 'switchboard-audit.csv',
        compact: true,
        columns: [
          { label: 'When', text: (r) => formatTime(r.at), raw: (r) => r.at },
          { label: 'Action', text: (r) => r.action },
          { label: 'Actor', text: (r) => r.actorUserId ?? '', clip: 'id' },
          { label: 'Key', text: (r) => r.actorApiKeyId ?? 'admin key', clip: 'id' },
          { label: 'Target', text: (r) => r.targetType.toLowerCase().replace('_', ' ') },
          { label: 'Target id', text: (r) => r.targetId ?? '', clip: 'id' },
          { label: 'Details', text: (r) => (r.details == null ? '' : JSON.stringify(r.details)), clip: 'name' },
          { label: 'Request', text: (r) => r.requestId ?? '', clip: 'id' },
        ],
      }),
      more ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'audit-more', onclick: () => void loadLog(more) }, 'Load more') : null,
    );
  };
  const loadAlerts = async () => {
    const { budgetAlerts } = await request(BudgetAlertsQuery, {}, apiKey);
    fill(
      alertsBody,
      dataTable({
        id: 'alerts',
        caption: 'Budget alerts',
        rows: budgetAlerts,
        empty: 'No budget alerts are set.',
        csvName: 'switchboard-budget-alerts.csv',
        columns: [
          { label: 'Scope', text: (a) => a.scope.toLowerCase().replace('_', ' ') },
          { label: 'Subject', text: (a) => a.subjectId, clip: 'id' },
          { label: 'Threshold', text: (a) => `${a.thresholdPercent} %`, raw: (a) => String(a.thresholdPercent), numeric: true },
          { label: 'Webhook', text: (a) => a.webhookUrl ?? 'subscription only', clip: 'name' },
          { label: 'Created', text: (a) => formatTime(a.createdAt), raw: (a) => a.createdAt },
        ],
      }),
    );
  };
  form.onsubmit = (e) => {
    e.preventDefault();
    void loadLog(null);
  };
  await Promise.all([loadLog(null), loadAlerts()]);
}
