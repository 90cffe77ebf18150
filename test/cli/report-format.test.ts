// The report CLI's table and CSV show names, not ids, for users, keys and teams (the id only
// when a group has no name, such as calls made without a stored key).
import { describe, expect, it } from 'vitest';
import { formatReport } from '../../src/cli/report-format.ts';
import type { UsageReport, UsageReportRow } from '../../src/domain/reports/usage-report.ts';

const sums = { requests: 2, inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 15, costUsd: '0.01' };
const row = (over: Partial<UsageReportRow>): UsageReportRow =>
  ({ day: null, model: null, gatewayId: null, userId: null, api: null, status: null, apiKeyId: null, teamId: null, tagKey: null, tagValue: null, userEmail: null, apiKeyName: null, teamName: null, ...sums, ...over }) as UsageReportRow;

describe('report --group-by team,api_key,user', () => {
  const report = {
    rows: [
      row({ teamId: 't-1', teamName: 'payments', apiKeyId: 'k-1', apiKeyName: 'checkout-app', userId: 'u-1', userEmail: 'ada@example.com' }),
      row({ teamId: 't-2', teamName: null, apiKeyId: 'k-2', apiKeyName: null, userId: 'u-2', userEmail: null }),
    ],
    totals: sums,
  } as unknown as UsageReport;

  it('prints names in the table and the CSV, ids only where there is no name', () => {
    for (const format of ['table', 'csv'] as const) {
      const text = formatReport(report, ['TEAM', 'API_KEY', 'USER'], format);
      const [header, ...lines] = text.split('\n').filter((l) => !/^-+/.test(l));
      expect(header).toMatch(/^team[ ,]+apiKey[ ,]+user/);
      expect(lines[0]).toMatch(/^payments[ ,]+checkout-app[ ,]+ada@example\.com/);
      expect(lines[1]).toMatch(/^t-2[ ,]+k-2[ ,]+u-2/);
      expect(text).not.toContain('t-1');
    }
  });
});
