// The dashboard's "Audit" tab in real headless Chromium: an admin sees the audit log (newest
// first, filtered by action, paged) and the budget alerts; a user has no such tab. A screenshot
// goes to test/artifacts/ (gitignored).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt, launchChromium } from '../helpers/browser.ts';
import { ADMIN_KEY, createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const ARTIFACTS = join(import.meta.dirname, '../artifacts');

let server: TestServer;
let browser: Browser;
let user: { userId: string; key: string };

beforeAll(async () => {
  await ensureDashboardBuilt();
  await mkdir(ARTIFACTS, { recursive: true });
  server = await startTestServer();
  user = await createUserWithKey(server, 'audited@example.com');
  const admin = server.trpc();
  const team = await admin.admin.teams.create.mutate({ name: 'Finance' });
  await admin.admin.teams.setLimits.mutate({ teamId: team.id, monthlyBudgetUsd: '250' });
  await admin.admin.setUserLimits.mutate({ userId: user.userId, tokensPerDay: 100_000 });
  const key = (await server.trpc(user.key).apiKeys.list.query())[0]!;
  await server.trpc(user.key).apiKeys.rotate.mutate({ id: key.id });
  await admin.admin.budgetAlerts.create.mutate({ scope: 'TEAM', subjectId: team.id, thresholdPercent: 80 });
  await admin.admin.budgetAlerts.create.mutate({ scope: 'USER', subjectId: user.userId, thresholdPercent: 100 });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function signIn(key: string, path = '/dashboard/'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.url}${path}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForFunction(() => document.documentElement.dataset.state === 'ready', undefined, { timeout: 30_000 });
  return page;
}

const auditReady = (page: Page) => page.waitForFunction(() => document.documentElement.dataset.auditState === 'ready', undefined, { timeout: 30_000 });
const column = (page: Page, testId: string, index: number) =>
  page.getByTestId(testId).locator('tbody tr').evaluateAll((trs, i) => trs.map((tr) => tr.querySelectorAll('td')[i]?.textContent ?? ''), index);

describe('dashboard: the Audit tab', () => {
  it('an admin sees the audit log (newest first, filterable) and the budget alerts', async () => {
    const page = await signIn(ADMIN_KEY);
    await page.getByRole('tab', { name: 'Audit' }).click();
    await auditReady(page);
    expect(await page.getByTestId('panel-audit-log').isVisible()).toBe(true);
    expect(await page.locator('#usage-view').isHidden()).toBe(true);
    expect(page.url()).toMatch(/#audit$/);

    const actions = await column(page, 'audit-table', 1);
    const expected = (await server.app.db.prisma.auditEvent.findMany({ orderBy: [{ at: 'desc' }, { id: 'desc' }] })).map((e) => e.action);
    expect(actions).toEqual(expected);
    expect(actions).toContain('key.rotate');
    expect(actions[0]).toBe('alert.create');

    const scopes = await column(page, 'alerts-table', 0);
    expect(scopes).toEqual(['team', 'user']);
    expect(await column(page, 'alerts-table', 2)).toEqual(['80 %', '100 %']);

    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-audit.png'), fullPage: true });

    await page.getByLabel('Action').fill('key');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-table"] tbody tr td:nth-child(2)')].every((td) => td.textContent?.startsWith('key.')));
    expect(await column(page, 'audit-table', 1)).toEqual(expected.filter((a) => a.startsWith('key.')));

    // back to Usage, and #audit opens the tab directly
    await page.getByRole('tab', { name: 'Usage' }).click();
    expect(await page.locator('#usage-view').isVisible()).toBe(true);
    const direct = await signIn(ADMIN_KEY, '/dashboard/#audit');
    await auditReady(direct);
    expect(await direct.getByTestId('audit-table').isVisible()).toBe(true);
    await page.close();
    await direct.close();
  }, 90_000);

  it('a user has no Audit tab', async () => {
    const viewer = await createUserWithKey(server, 'viewer@example.com');
    const page = await signIn(viewer.key);
    expect(await page.getByRole('tab', { name: 'Audit' }).count()).toBe(0);
    expect(await page.getByTestId('audit-view').count()).toBe(0);
    await page.close();
  }, 60_000);
});
