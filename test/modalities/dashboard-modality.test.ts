// The dashboard's spend split by modality, in real headless Chromium against the real server:
// after one call of each modality, the "Spend by modality" table lists each with the spend and
// requests that usageReport by MODALITY gives. A screenshot goes to test/artifacts/ (gitignored).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatInt, formatUsd } from '../../dashboard/src/format.ts';
import { simulatedWav } from '../../src/simulator/modalities.ts';
import { ensureDashboardBuilt, launchChromium } from '../helpers/browser.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const ARTIFACTS = join(import.meta.dirname, '../artifacts');
const DAY_MS = 86_400_000;

let server: TestServer;
let browser: Browser;
let user: { userId: string; key: string };

beforeAll(async () => {
  await ensureDashboardBuilt();
  server = await startTestServer();
  browser = await launchChromium();
  user = await createUserWithKey(server, 'split@example.com');
  const t = server.trpc(user.key);
  await t.generate.mutate({ model: '@cf/moonshotai/kimi-k2.6', prompt: 'hello' });
  await t.embed.mutate({ model: '@cf/baai/bge-large-en-v1.5', texts: ['one', 'two', 'three'] });
  await t.generateImage.mutate({ model: '@cf/leonardo/phoenix-1.0', prompt: 'a boat', width: 1024, height: 1024, steps: 20 });
  await t.generateImage.mutate({ model: '@cf/black-forest-labs/flux-1-schnell', prompt: 'a tree' });
  await t.transcribe.mutate({ model: '@cf/openai/whisper-large-v3-turbo', audio: { data: simulatedWav(4).toString('base64') } });
  await t.speak.mutate({ model: '@cf/deepgram/aura-1', text: 'Thank you for calling.', voice: 'orion' });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('shows the spend split by modality, as usageReport by MODALITY gives it', async () => {
  const to = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS);
  const from = new Date(to.getTime() - 7 * DAY_MS);
  const report = await server.trpc(user.key).usage.report.query({ from, to, groupBy: ['MODALITY'] });
  expect(report.rows.map((r) => r.modality)).toEqual(['EMBEDDING', 'IMAGE', 'SPEECH', 'TEXT', 'TRANSCRIPTION']);

  const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/dashboard/`);
  await page.getByLabel('API key').fill(user.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForFunction(() => document.documentElement.dataset.state === 'ready', undefined, { timeout: 30_000 });

  const table = page.getByTestId('top-modalities-table');
  await expect.poll(() => table.locator('tbody tr').count()).toBe(5);
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  const names: Record<string, string> = { TEXT: 'Text', EMBEDDING: 'Embeddings', IMAGE: 'Images', TRANSCRIPTION: 'Transcription', SPEECH: 'Speech' };
  const expected = [...report.rows]
    .sort((a, b) => Number(b.costUsd ?? 0) - Number(a.costUsd ?? 0) || b.requests - a.requests)
    .map((r) => [names[r.modality!]!, formatUsd(r.costUsd), formatInt(r.requests)]);
  expect(rows).toEqual(expected);
  // Images cost most here: phoenix's 4 tiles x $0.00583 + 20 steps x $0.00011 = $0.02552, plus flux's 4 tiles x $0.0000528 + 4 steps x $0.0001056 = $0.0006336.
  expect(rows[0]![0]).toBe('Images');
  expect(report.rows.find((r) => r.modality === 'IMAGE')).toMatchObject({ requests: 2, images: 2, imageTiles: 8, imageSteps: 24, costUsd: '0.0261536' });

  await mkdir(ARTIFACTS, { recursive: true });
  await table.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-modality-split.png'), fullPage: true });
  await context.close();
});
