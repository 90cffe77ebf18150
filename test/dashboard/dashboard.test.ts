// The /dashboard page in real headless Chromium against the real server (simulator upstream,
// a fresh database). Screenshots go to test/artifacts/ (gitignored).
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatInt, formatTime, formatUsd } from '../../dashboard/src/format.ts';
import { DASHBOARD_DIR } from '../../src/http/dashboard-static.ts';
import { ensureDashboardBuilt, launchChromium } from '../helpers/browser.ts';
import { ADMIN_KEY, createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const ARTIFACTS = join(import.meta.dirname, '../artifacts');
const DAY_MS = 86_400_000;
const PRICED = '@cf/moonshotai/kimi-k2.6';

let server: TestServer;
let browser: Browser;
let alice: { userId: string; key: string };
let bob: { userId: string; key: string };
/** dave is in the team "Research"; two of his calls carry the tag app=billing. */
let dave: { userId: string; key: string };
let teamId: string;

/** The page's range: whole UTC days ending with today. */
function pageRange(days: number) {
  const to = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS);
  return { from: new Date(to.getTime() - days * DAY_MS), to };
}

/** Ledger rows on earlier days (as the ledger writes them), so the chart has several days. */
async function seedEarlierDays(userId: string, daysAgo: number[], model: string) {
  const rows = daysAgo.map((ago, i) => {
    const id = crypto.randomUUID();
    return {
      id,
      callId: id,
      userId,
      requestedModel: model,
      api: 'CHAT_COMPLETIONS' as const,
      gatewayId: 'default',
      status: i % 4 === 3 ? ('ERROR' as const) : ('OK' as const),
      inputTokens: 100 + i,
      outputTokens: 50,
      totalTokens: 150 + i,
      costUsd: `0.00${i + 1}5`,
      latencyMs: 200 + 10 * i,
      timeToFirstTokenMs: 80 + i,
      createdAt: new Date(Date.now() - ago * DAY_MS),
    };
  });
  await server.app.db.prisma.usageRecord.createMany({ data: rows });
}

async function signIn(context: BrowserContext, key: string, path = '/dashboard/'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${server.url}${path}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await ready(page);
  return page;
}

/** Waits until every panel has loaded (the page sets data-state=ready). */
async function ready(page: Page, loadsBefore = 0): Promise<void> {
  await page.waitForFunction((n) => document.documentElement.dataset.state === 'ready' && Number(document.documentElement.dataset.loads ?? 0) > n, loadsBefore, { timeout: 30_000 });
}

const loads = (page: Page) => page.evaluate(() => Number(document.documentElement.dataset.loads ?? 0));

async function totalsOnPage(page: Page) {
  const value = (id: string) => page.getByTestId(`total-${id}`).getAttribute('data-value');
  return { costUsd: (await value('cost')) || null, requests: Number(await value('requests')), totalTokens: Number(await value('tokens')) };
}

async function tableRows(page: Page, testId: string): Promise<string[][]> {
  return page.getByTestId(testId).locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}

async function tableHeader(page: Page, testId: string): Promise<string[]> {
  return page.getByTestId(testId).locator('thead th').allTextContents();
}

beforeAll(async () => {
  await ensureDashboardBuilt();
  await mkdir(ARTIFACTS, { recursive: true });
  server = await startTestServer();
  alice = await createUserWithKey(server, 'alice@example.com');
  bob = await createUserWithKey(server, 'bob@example.com');
  const a = server.trpc(alice.key);
  for (const prompt of ['hello', 'a longer prompt here', 'third call']) await a.generate.mutate({ model: PRICED, prompt });
  await a.generate.mutate({ model: 'anthropic/claude-sonnet-4-5', prompt: 'unpriced model' });
  // A call the upstream refuses every time: retried, three ERROR attempts sharing one callId.
  await expect(a.generate.mutate({ model: PRICED, prompt: 'always failing [[fault:server_error:503]]' })).rejects.toThrow();
  await a.chat.mutate({ model: PRICED, message: 'a conversation about budgets' });
  const b = server.trpc(bob.key);
  await b.generate.mutate({ model: PRICED, prompt: 'bob secret prompt' });
  await b.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'bob again' });
  const team = await server.gql<{ createTeam: { id: string } }>('mutation($i: CreateTeamInput!) { createTeam(input: $i) { id } }', { i: { name: 'Research' } });
  teamId = team.data!.createTeam.id;
  dave = await createUserWithKey(server, 'dave@example.com');
  expect((await server.gql('mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u) { id } }', { t: teamId, u: dave.userId })).errors).toBeUndefined();
  const d = server.trpc(dave.key);
  for (const prompt of ['invoice one', 'invoice two']) await d.generate.mutate({ model: PRICED, prompt, metadata: { app: 'billing' } });
  await d.generate.mutate({ model: 'openai/gpt-5.5', prompt: 'untagged' });
  await seedEarlierDays(alice.userId, [2, 3, 5, 9, 12, 20], PRICED);
  await seedEarlierDays(bob.userId, [1, 4, 6, 15, 40], 'openai/gpt-5.5');
  // Limits for alice (after her calls), so the limits panel has me.remaining to show.
  const limits = await server.gql(`mutation($i: SetUserLimitsInput!) { setUserLimits(input: $i) { id } }`, {
    i: { userId: alice.userId, requestsPerMinute: 1000, tokensPerDay: 5_000_000, monthlyBudgetUsd: '50' },
  });
  expect(limits.errors).toBeUndefined();
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

// Generous per-test time: Chromium shares a 2-core machine with the rest of the suite.
describe('the dashboard in Chromium', { timeout: 120_000 }, () => {
  it('is served by the same process, offline, with under 500 KB of compressed JS', async () => {
    const res = await fetch(`${server.url}/dashboard/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Switchboard usage');
    expect(html).not.toMatch(/https?:\/\//);
    const assets = await readdir(join(DASHBOARD_DIR, 'assets'));
    const js = assets.filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    let gz = 0;
    for (const f of js) gz += gzipSync(await readFile(join(DASHBOARD_DIR, 'assets', f)), { level: 9 }).length;
    expect(gz).toBeLessThan(500 * 1024);
    expect((await fetch(`${server.url}/dashboard/../package.json`)).status).toBe(404);
  });

  it('a user signs in by keyboard and sees exactly its usageReport totals', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard`);
    // The key field has the focus on load; typing and Enter sign in.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('api-key');
    await page.keyboard.type(alice.key);
    await page.keyboard.press('Enter');
    await ready(page);
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe('alice@example.com');
    const { from, to } = pageRange(30);
    const report = await server.trpc(alice.key).usage.report.query({ from, to, groupBy: [] });
    const shown = await totalsOnPage(page);
    expect(shown).toEqual({ costUsd: report.totals.costUsd, requests: report.totals.requests, totalTokens: report.totals.totalTokens });
    expect(report.totals.requests).toBe(5 + 3 + 6); // five calls, one retried call of three attempts, six seeded rows
    // The admin-only controls and lists are not there for a user.
    expect(await page.locator('#filter-user').count()).toBe(0);
    expect(await page.getByTestId('top-users-table').count()).toBe(0);
    // The limits panel shows me.remaining; the reconciliation panel shows drift and the last run.
    type Remaining = { requestsThisMinute: number | null; tokensToday: number | null; budgetUsdThisMonth: string | null };
    const own = await server.gql<{ me: { remaining: Remaining } }>('{ me { remaining { requestsThisMinute tokensToday budgetUsdThisMonth } } }', {}, alice.key);
    const remaining = own.data!.me.remaining;
    expect(remaining.tokensToday).not.toBeNull();
    expect(remaining.budgetUsdThisMonth).not.toBeNull();
    const gauge = (id: string) => page.getByTestId(`budget-${id}`).locator('.gauge-value').textContent();
    expect(await gauge('tokens')).toBe(`${formatInt(remaining.tokensToday!)} left`);
    expect(await gauge('spend')).toBe(`${formatUsd(String(Number(remaining.budgetUsdThisMonth)))} left`);
    expect(await gauge('rpm')).toMatch(/^[\d,]+ left$/);
    const rec = await server.gql<{ reconciliation: { driftUsd: string; lastRunAt: string | null } }>(
      'query($i: ReconciliationReportInput!) { reconciliation(input: $i) { driftUsd lastRunAt } }',
      { i: { from: from.toISOString(), to: to.toISOString() } },
      alice.key,
    );
    expect(rec.errors).toBeUndefined();
    expect(await page.getByTestId('drift-usd').locator('.tile-value').textContent()).toBe(formatUsd(rec.data!.reconciliation.driftUsd));
    expect(await page.getByTestId('reconciliation-last-run').locator('.tile-value').textContent()).toBe(rec.data!.reconciliation.lastRunAt ? formatTime(rec.data!.reconciliation.lastRunAt) : 'Never');
    expect(await page.getByTestId('reconciliation-table').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-user-1280.png'), fullPage: true });
    await context.close();
  });

  it('an admin signs in and sees everyone, and one user with the user filter, exactly as usageReport', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, ADMIN_KEY);
    const { from, to } = pageRange(30);
    const admin = server.trpc(ADMIN_KEY);
    const all = await admin.usage.report.query({ from, to, groupBy: [], allUsers: true });
    expect(await totalsOnPage(page)).toEqual({ costUsd: all.totals.costUsd, requests: all.totals.requests, totalTokens: all.totals.totalTokens });
    // The top users are shown by email, ranked by spend as usageReport has them.
    const byUser = await admin.usage.report.query({ from, to, groupBy: ['USER'], allUsers: true });
    const ranked = [...byUser.rows].sort((a, b) => Number(b.costUsd ?? 0) - Number(a.costUsd ?? 0) || b.requests - a.requests);
    const top = await tableRows(page, 'top-users-table');
    expect(top.map((r) => r[0])).toEqual(ranked.map((r) => r.userEmail));
    expect(top.map((r) => r[0]).sort()).toEqual(['alice@example.com', 'bob@example.com', 'dave@example.com']);
    expect(await page.locator('body').innerText()).not.toContain(alice.userId);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-admin-1280.png'), fullPage: true });

    // Clicking an email narrows the page to that user (the URL takes the user's id).
    let before = await loads(page);
    await page.getByTestId('top-users-table').getByRole('button', { name: 'bob@example.com' }).click();
    await ready(page, before);
    const bobs = await admin.usage.report.query({ from, to, groupBy: [], userId: bob.userId });
    expect(await totalsOnPage(page)).toEqual({ costUsd: bobs.totals.costUsd, requests: bobs.totals.requests, totalTokens: bobs.totals.totalTokens });
    expect(new URL(page.url()).searchParams.get('user')).toBe(bob.userId);
    expect(await page.locator('#filter-user').inputValue()).toBe(bob.userId);

    // Typing an id in the user field does the same.
    before = await loads(page);
    await page.locator('#filter-user').fill(alice.userId);
    await page.locator('#filter-user').press('Enter');
    await page.locator('#filter-user').blur();
    await ready(page, before);
    const alices = await admin.usage.report.query({ from, to, groupBy: [], userId: alice.userId });
    expect(await totalsOnPage(page)).toEqual({ costUsd: alices.totals.costUsd, requests: alices.totals.requests, totalTokens: alices.totals.totalTokens });
    expect(new URL(page.url()).searchParams.get('user')).toBe(alice.userId);
    await context.close();
  });

  it("a user never sees another user's rows, whatever the URL says", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, alice.key, `/dashboard/?user=${bob.userId}&team=${bob.userId}&key=${bob.userId}&tag=a%3Db`);
    const { from, to } = pageRange(30);
    const own = await server.trpc(alice.key).usage.report.query({ from, to, groupBy: [] });
    expect(await totalsOnPage(page)).toEqual({ costUsd: own.totals.costUsd, requests: own.totals.requests, totalTokens: own.totals.totalTokens });
    const ownIds = new Set((await server.trpc(ADMIN_KEY).usage.recentCalls.query({ from, to, userId: alice.userId, first: 500 })).rows.map((r) => r.id));
    const bobIds = (await server.trpc(ADMIN_KEY).usage.recentCalls.query({ from, to, userId: bob.userId, first: 500 })).rows.map((r) => r.id);
    const header = await tableHeader(page, 'calls-table');
    const shownIds = (await tableRows(page, 'calls-table')).map((r) => r[header.indexOf('Id')]!);
    expect(shownIds.length).toBe(ownIds.size);
    expect(shownIds.every((id) => ownIds.has(id))).toBe(true);
    expect(shownIds.some((id) => bobIds.includes(id))).toBe(false);
    const text = await page.locator('body').innerText();
    expect(text).not.toContain('bob@example.com');
    expect(text).not.toContain(bob.userId);
    await context.close();
  });

  it('switching the range and the grouping redraws the chart', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, ADMIN_KEY);
    const chart = page.getByTestId('usage-chart');
    const version = async () => Number(await chart.getAttribute('data-version'));
    const pixels = () => chart.evaluate((c: HTMLCanvasElement) => c.toDataURL());
    const days = async () => new Set((await tableRows(page, 'usage-table')).map((r) => r[0]));
    const v1 = await version();
    const p1 = await pixels();
    await page.locator('details summary').first().click();
    expect([...(await days())].length).toBeGreaterThan(5);

    let before = await loads(page);
    await page.locator('#range').selectOption('7d');
    await ready(page, before);
    expect(await version()).toBeGreaterThan(v1);
    expect(await pixels()).not.toBe(p1);
    const { from } = pageRange(7);
    expect([...(await days())].every((d) => d! >= from.toISOString().slice(0, 10))).toBe(true);
    expect(await page.getByTestId('range-label').textContent()).toContain(from.toISOString().slice(0, 10));

    const v2 = await version();
    const p2 = await pixels();
    before = await loads(page);
    await page.locator('#stack').selectOption('API');
    await ready(page, before);
    expect(await version()).toBeGreaterThan(v2);
    expect(await pixels()).not.toBe(p2);
    expect(await page.getByTestId('usage-heading').textContent()).toContain('by API');
    expect(await tableHeader(page, 'usage-table')).toContain('API');
    const groups = new Set((await tableRows(page, 'usage-table')).map((r) => r[1]));
    expect([...groups].every((g) => ['CHAT_COMPLETIONS', 'MESSAGES', 'RESPONSES', 'RUN'].includes(g!))).toBe(true);
    expect(new URL(page.url()).searchParams.get('stack')).toBe('API');
    await context.close();
  });

  it('an admin narrows to one API key, one team or one tag: totals, chart, top lists and recent calls follow; the URL keeps it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, ADMIN_KEY);
    const admin = server.trpc(ADMIN_KEY);
    const { from, to } = pageRange(30);
    const setFilter = async (id: string, value: string) => {
      const before = await loads(page);
      await page.locator(id).fill(value);
      await page.locator(id).press('Enter');
      await page.locator(id).blur();
      await ready(page, before);
    };
    const callUsers = async () => {
      const header = await tableHeader(page, 'calls-table');
      return (await tableRows(page, 'calls-table')).map((r) => r[header.indexOf('User')]);
    };
    const chartRequests = async () => (await tableRows(page, 'usage-table')).reduce((sum, r) => sum + Number(r[2]!.replace(/,/g, '')), 0);

    // One API key: bob's.
    const bobKey = (await server.app.db.prisma.apiKey.findFirstOrThrow({ where: { userId: bob.userId } })).id;
    await setFilter('#filter-key', bobKey);
    const byKey = await admin.usage.report.query({ from, to, groupBy: [], allUsers: true, apiKeyId: bobKey });
    expect(byKey.totals.requests).toBe(2);
    expect(await totalsOnPage(page)).toEqual({ costUsd: byKey.totals.costUsd, requests: byKey.totals.requests, totalTokens: byKey.totals.totalTokens });
    expect(await chartRequests()).toBe(byKey.totals.requests);
    expect(await callUsers()).toEqual(['bob@example.com', 'bob@example.com']);
    expect((await tableRows(page, 'top-keys-table')).map((r) => r[0])).toEqual(['test']);
    expect(new URL(page.url()).searchParams.get('key')).toBe(bobKey);
    // Panels whose reads do not take the filter say so.
    for (const panel of ['performance', 'conversations', 'reconciliation']) expect(await page.getByTestId(`${panel}-not-narrowed`).textContent()).toContain('key filter');
    expect(await page.getByTestId('calls-not-narrowed').count()).toBe(0);

    // One team: only dave's calls, the team named in the top list.
    await setFilter('#filter-key', '');
    await setFilter('#filter-team', teamId);
    const byTeam = await admin.usage.report.query({ from, to, groupBy: [], allUsers: true, teamId });
    expect(byTeam.totals.requests).toBe(3);
    expect(await totalsOnPage(page)).toEqual({ costUsd: byTeam.totals.costUsd, requests: byTeam.totals.requests, totalTokens: byTeam.totals.totalTokens });
    expect(await chartRequests()).toBe(3);
    expect(new Set(await callUsers())).toEqual(new Set(['dave@example.com']));
    expect((await tableRows(page, 'top-teams-table')).map((r) => r[0])).toEqual(['Research']);
    expect(new URL(page.url()).searchParams.get('team')).toBe(teamId);
    expect(new URL(page.url()).searchParams.get('key')).toBeNull();

    // One tag: dave's two billing calls; the recent calls panel says it is not narrowed by tags.
    await setFilter('#filter-team', '');
    await setFilter('#filter-tag', 'app=billing');
    const byTag = await admin.usage.report.query({ from, to, groupBy: [], allUsers: true, tags: { app: 'billing' } });
    expect(byTag.totals.requests).toBe(2);
    expect(await totalsOnPage(page)).toEqual({ costUsd: byTag.totals.costUsd, requests: byTag.totals.requests, totalTokens: byTag.totals.totalTokens });
    expect(await chartRequests()).toBe(2);
    expect((await tableRows(page, 'top-tags-table')).map((r) => r[0])).toEqual(['app=billing']);
    expect(await page.getByTestId('calls-not-narrowed').textContent()).toContain('tag filter');
    expect(new URL(page.url()).searchParams.get('tag')).toBe('app=billing');

    // A shared URL with the filters opens narrowed.
    const shared = await signIn(context, ADMIN_KEY, `/dashboard/?team=${teamId}`);
    expect((await totalsOnPage(shared)).requests).toBe(3);
    expect(await shared.locator('#filter-team').inputValue()).toBe(teamId);
    await context.close();
  });

  it('stacked by team, the chart and its table show each team by name with usageReport\'s numbers', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, ADMIN_KEY);
    const chart = page.getByTestId('usage-chart');
    const v1 = Number(await chart.getAttribute('data-version'));
    const p1 = await chart.evaluate((c: HTMLCanvasElement) => c.toDataURL());
    const before = await loads(page);
    await page.locator('#stack').selectOption('TEAM');
    await ready(page, before);
    expect(new URL(page.url()).searchParams.get('stack')).toBe('TEAM');
    expect(Number(await chart.getAttribute('data-version'))).toBeGreaterThan(v1);
    expect(await chart.evaluate((c: HTMLCanvasElement) => c.toDataURL())).not.toBe(p1);
    expect(await page.getByTestId('usage-heading').textContent()).toBe('Spend (USD) per day by team');
    expect(await chart.getAttribute('aria-label')).toContain('by team');
    expect(await tableHeader(page, 'usage-table')).toEqual(['Day (UTC)', 'Team', 'Requests', 'Tokens', 'Spend (USD)']);
    const { from, to } = pageRange(30);
    const report = await server.trpc(ADMIN_KEY).usage.report.query({ from, to, groupBy: ['DAY', 'TEAM'], allUsers: true });
    const expected = report.rows.map((r) => [r.day, r.teamId === null ? 'no team' : r.teamName, formatInt(r.requests), formatInt(r.totalTokens), formatUsd(r.costUsd)]);
    expect(await tableRows(page, 'usage-table')).toEqual(expected);
    expect(new Set(expected.map((r) => r[1]))).toEqual(new Set(['Research', 'no team']));
    // The legend names the series, the biggest spender first (Chart.js draws it in the canvas; the chart keeps its labels).
    const spend = new Map<string, number>();
    for (const r of expected) spend.set(r[1]!, (spend.get(r[1]!) ?? 0) + Number(report.rows[expected.indexOf(r)]!.costUsd ?? 0));
    const ranked = [...spend.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
    expect(await chart.getAttribute('data-series')).toBe(ranked.join('|'));
    await context.close();
  });

  it('at 1280 px every table fits its panel (the recent calls show a shortened id; text, title and CSV keep it whole)', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    for (const key of [ADMIN_KEY, alice.key]) {
      const page = await signIn(context, key);
      const overflowing = await page.evaluate(() =>
        [...document.querySelectorAll('main .scroll')].filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => `${el.getAttribute('aria-label')}: ${el.scrollWidth} > ${el.clientWidth}`),
      );
      expect(overflowing).toEqual([]);
      const id = page.getByTestId('calls-table').locator('tbody tr').first().locator('td.clip.id code');
      const text = await id.textContent();
      expect(text).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(await id.getAttribute('title')).toBe(text);
      const box = await page.getByTestId('calls-table').locator('tbody tr').first().locator('td.clip.id').boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(1280);
      await page.close();
    }
    await context.close();
  });

  it("a retried call's attempts show together (1 of 3 ... 3 of 3), its error code under the status, and the table fits 1280 px", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, alice.key);
    const header = await tableHeader(page, 'calls-table');
    const rows = page.getByTestId('calls-table').locator('tbody tr');
    const classes = await rows.evaluateAll((trs) => trs.map((tr) => tr.className));
    const first = classes.indexOf('attempt');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(classes.slice(first, first + 3)).toEqual(['attempt', 'attempt retry', 'attempt retry']);
    const shown = (await tableRows(page, 'calls-table')).slice(first, first + 3);
    expect(shown.map((r) => r[header.indexOf('Attempt')])).toEqual(['1 of 3', '2 of 3', '3 of 3']);
    for (const r of shown) expect(r[header.indexOf('Status')]).toBe('ERRORUPSTREAM_ERROR');
    const overflow = await page.evaluate(() => [...document.querySelectorAll('main .scroll')].filter((el) => el.scrollWidth > el.clientWidth + 1).length);
    expect(overflow).toBe(0);
    await page.getByTestId('calls-table').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-retried-call-1280.png'), fullPage: true });
    await context.close();
  });

  it('the CSV holds the rows shown', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await signIn(context, ADMIN_KEY, '/dashboard/?status=OK');
    const header = await tableHeader(page, 'calls-table');
    const shown = await tableRows(page, 'calls-table');
    expect(shown.length).toBeGreaterThan(0);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('calls-csv').click()]);
    const csv = (await readFile((await download.path())!, 'utf8')).trim().split('\r\n');
    expect(csv[0]!.split(',')).toEqual(header);
    expect(csv.length - 1).toBe(shown.length);
    const idAt = header.indexOf('Id');
    const statusAt = header.indexOf('Status');
    const csvRows = csv.slice(1).map((line) => line.split(','));
    expect(csvRows.map((r) => r[idAt])).toEqual(shown.map((r) => r[idAt]));
    expect(new Set(csvRows.map((r) => r[statusAt]))).toEqual(new Set(['OK']));
    // The exact costs, as the API has them.
    const { from, to } = pageRange(30);
    const api = await server.trpc(ADMIN_KEY).usage.recentCalls.query({ from, to, allUsers: true, status: ['OK'], first: 50 });
    const costAt = header.indexOf('Cost');
    expect(csvRows.map((r) => r[costAt])).toEqual(api.rows.map((r) => r.costUsd ?? ''));
    await context.close();
  });

  it('an empty range says it is empty', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, alice.key, '/dashboard/?range=custom&from=2020-01-01&to=2020-01-31');
    await expect.poll(() => page.getByTestId('range-empty').textContent()).toBe('No usage in this range.');
    expect(await page.getByTestId('usage-empty').isVisible()).toBe(true);
    expect(await page.getByTestId('calls-empty').textContent()).toContain('No calls');
    await context.close();
  });

  it('a revoked key is sent back to sign-in with a clear message', async () => {
    const carol = await createUserWithKey(server, 'carol@example.com');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, carol.key);
    const keyId = (await server.app.db.prisma.apiKey.findFirstOrThrow({ where: { userId: carol.userId } })).id;
    await server.trpc(ADMIN_KEY).apiKeys.revoke.mutate({ id: keyId });
    await page.locator('#range').selectOption('7d');
    await page.waitForFunction(() => document.documentElement.dataset.state === 'signed-out', undefined, { timeout: 30_000 });
    expect(await page.getByTestId('sign-in-message').textContent()).toMatch(/revoked or expired/);
    expect(await page.evaluate(() => sessionStorage.getItem('switchboard.apiKey'))).toBeNull();
    // A reload stays signed out; the revoked key is refused at sign-in too.
    await page.reload();
    await page.getByLabel('API key').fill(carol.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('sign-in-message').textContent()).toMatch(/not accepted/);
    await context.close();
  });

  it('is readable at 390 px (screenshots of both widths are artifacts)', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await signIn(context, ADMIN_KEY);
    // Nothing sticks out sideways (wide tables scroll inside their own region).
    const overflow = await page.evaluate(() => ({
      by: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      widest: [...document.querySelectorAll('main *')]
        .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !el.closest('.scroll'))
        .slice(0, 3)
        .map((el) => `${el.tagName}.${el.className}`),
    }));
    expect(overflow).toEqual({ by: 0, widest: [] });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-admin-390.png'), fullPage: true });
    const user = await signIn(context, alice.key);
    await user.screenshot({ path: join(ARTIFACTS, 'dashboard-user-390.png'), fullPage: true });
    const signInPage = await context.newPage();
    await signInPage.goto(`${server.url}/dashboard/`);
    await signInPage.screenshot({ path: join(ARTIFACTS, 'dashboard-sign-in-390.png') });
    await context.close();
  });
});
