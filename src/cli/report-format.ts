// Renders a usage report as an aligned table, CSV or JSON.
import type { UsageReport, UsageReportRow } from '../domain/reports/usage-report.ts';
import type { UsageDimension } from '../domain/reports/schemas.ts';

export const FORMATS = ['table', 'csv', 'json'] as const;
export type ReportFormat = (typeof FORMATS)[number];

const DIM_COLUMNS: Record<UsageDimension, Array<keyof UsageReportRow>> = {
  DAY: ['day'], MODEL: ['model'], GATEWAY: ['gatewayId'], USER: ['userId'], API: ['api'], STATUS: ['status'],
  API_KEY: ['apiKeyId'], TEAM: ['teamId'], TAG: ['tagKey', 'tagValue'], SURFACE: ['surface'], MODALITY: ['modality'], REQUESTED_MODEL: ['requestedModel'],
};
const SUM_COLUMNS = ['requests', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'reasoningTokens', 'totalTokens', 'costUsd'] as const;

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Id columns that show a name: the user's email, the key's name, the team's name (the id when there is none). */
const LABELS: Partial<Record<keyof UsageReportRow, { header: string; label: keyof UsageReportRow }>> = {
  userId: { header: 'user', label: 'userEmail' },
  apiKeyId: { header: 'apiKey', label: 'apiKeyName' },
  teamId: { header: 'team', label: 'teamName' },
};

export function formatReport(report: UsageReport, groupBy: readonly UsageDimension[], format: ReportFormat): string {
  if (format === 'json') return JSON.stringify(report, null, 2);
  const dims = groupBy.flatMap((d) => DIM_COLUMNS[d]);
  const header = [...dims.map((d) => LABELS[d]?.header ?? d), ...SUM_COLUMNS];
  const cell = (row: Record<string, unknown>, column: string): string => {
    const value = row[column];
    const label = LABELS[column as keyof UsageReportRow]?.label;
    if (label && typeof value === 'string') return (typeof row[label] === 'string' && (row[label] as string)) || value;
    return value === null || value === undefined ? '' : String(value);
  };
  const body = report.rows.map((r) => [...dims, ...SUM_COLUMNS].map((c) => cell(r as unknown as Record<string, unknown>, c)));
  const totals = [...dims.map((_, i) => (i === 0 ? 'TOTAL' : '')), ...SUM_COLUMNS.map((c) => cell(report.totals as unknown as Record<string, unknown>, c))];
  // CSV is for imports: one row per group, no total row (totals: the table and JSON formats).
  if (format === 'csv') return [header, ...body].map((line) => line.map(csvCell).join(',')).join('\n');
  const all = [header, ...body, totals];
  const widths = header.map((_, i) => Math.max(...all.map((line) => line[i]!.length)));
  const numeric = (i: number) => i >= dims.length;
  const render = (line: string[]) => line.map((v, i) => (numeric(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [render(header), rule, ...body.map(render), rule, render(totals)].join('\n');
}
