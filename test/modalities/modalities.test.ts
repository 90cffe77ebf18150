// Every modality of the universal endpoint, over GraphQL and tRPC: the result's shape, exactly one
// ledger row with the modality, the billed units and a cost equal to units x the recorded price
// (computed here on its own, with decimal arithmetic), and one upstream request. Also: audio over
// MAX_AUDIO_BYTES is BAD_INPUT before admission, a USD budget refuses an image call whose
// reservation does not fit, and a cancelled transcription leaves a CANCELLED row.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../src/db/index.ts';
import { simulatedWav } from '../../src/simulator/modalities.ts';
import { trpcCode } from '../helpers/errors.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const Dec = Prisma.Decimal;
const MAX_AUDIO_BYTES = 64_000;
/** Smaller than the transcriptions' bodies below: they pass only through the media body limit. */
const MAX_BODY_BYTES = 32_768;

let server: TestServer;
let key: string;
let userId: string;

beforeAll(async () => {
  server = await startTestServer({ MAX_BODY_BYTES: String(MAX_BODY_BYTES), MAX_AUDIO_BYTES: String(MAX_AUDIO_BYTES), UPSTREAM_MAX_RETRIES: '0', MODEL_ROUTES: JSON.stringify({ '@cf/baai/bge-m3': 'RUN' }) });
  ({ key, userId } = await createUserWithKey(server, 'modalities@example.com'));
});
afterAll(async () => {
  await server?.close();
});

const USAGE = 'usage { modality inputTokens totalTokens costUsd estimated images imageTiles imageSteps audioSeconds characters }';

/** The upstream requests the simulator saw since `from` (their paths). */
const upstreamSince = (from: number) => server.app.simulator!.requests.slice(from).map((r) => r.path);
const rowsOf = (id: string) => server.app.db.prisma.usageRecord.findMany({ where: { callId: id } });

/** cost = tokens x per-million price + tiles x tile price + steps x step price + audio minutes x minute price + characters / 1000 x price, rounded to 10 places. */
async function expectedCost(row: { priceVersionId: string | null; inputTokens: number; imageTiles: number; imageSteps: number; audioSeconds: { toString(): string }; characters: number }): Promise<string> {
  expect(row.priceVersionId).not.toBeNull();
  const price = await server.app.db.prisma.modelPrice.findUniqueOrThrow({ where: { id: row.priceVersionId! } });
  const per = (p: { toString(): string } | null) => new Dec(p ? p.toString() : '0');
  const cost = new Dec(row.inputTokens).mul(per(price.inputPerMTok)).div(1_000_000)
    .add(new Dec(row.imageTiles).mul(per(price.perImageTile)))
    .add(new Dec(row.imageSteps).mul(per(price.perImageStep)))
    .add(new Dec(row.audioSeconds.toString()).div(60).mul(per(price.perAudioMinute)))
    .add(new Dec(row.characters).div(1000).mul(per(price.perThousandChars)));
  return cost.toDecimalPlaces(10, Dec.ROUND_HALF_UP).toFixed();
}

/** The one row of a call: OK, its modality, a non-null cost equal to its units x its price. */
async function expectOneBilledRow(id: string, modality: string) {
  const rows = await rowsOf(id);
  expect(rows).toHaveLength(1);
  const row = rows[0]!;
  expect(row).toMatchObject({ id, status: 'OK', modality, userId });
  expect(row.costUsd).not.toBeNull();
  expect(new Dec(row.costUsd!.toString()).toFixed()).toBe(await expectedCost(row));
  expect(new Dec(row.costUsd!.toString()).gt(0)).toBe(true);
  return row;
}

const wavBase64 = (seconds: number) => simulatedWav(seconds).toString('base64');

const isPng = (b64: string) => Buffer.from(b64, 'base64').subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
const isWav = (b64: string) => Buffer.from(b64, 'base64').toString('latin1', 0, 4) === 'RIFF';

describe('each operation over GraphQL and tRPC', () => {
  for (const api of ['graphql', 'trpc'] as const) {
    it(`${api}: embed gives one stable vector per text, one row with the tokens, one upstream request`, async () => {
      const input = { model: '@cf/baai/bge-base-en-v1.5', texts: ['hello world', 'grüße'], metadata: { app: 'search' } };
      const from = server.app.simulator!.requests.length;
      const result = api === 'graphql'
        ? (await gqlOk<{ embed: { id: string; dimensions: number; vectors: number[][]; base64Vectors: null; usage: Record<string, unknown> } }>(`mutation($input: EmbedInput!) { embed(input: $input) { id model dimensions vectors base64Vectors ${USAGE} } }`, { input })).embed
        : await server.trpc(key).embed.mutate(input);
      expect(result.dimensions).toBe(768);
      expect(result.vectors).toHaveLength(2);
      expect(result.vectors![0]).toHaveLength(768);
      expect(result.base64Vectors).toBeNull();
      expect(result.usage).toMatchObject({ modality: 'EMBEDDING', estimated: false });
      expect(upstreamSince(from)).toEqual([expect.stringMatching(/\/ai\/v1\/embeddings$/)]);
      const row = await expectOneBilledRow(result.id, 'EMBEDDING');
      // The simulator reports a quarter of each text's bytes plus 2 markers.
      expect(row.inputTokens).toBe(Math.ceil(11 / 4) + 2 + Math.ceil(Buffer.byteLength('grüße') / 4) + 2);
      expect(row.tags).toEqual({ app: 'search' });
      expect(result.usage.costUsd).toBe(new Dec(row.costUsd!.toString()).toFixed());
    });

    it(`${api}: generateImage gives a real PNG, one row billed on tiles and steps`, async () => {
      const input = { model: '@cf/leonardo/lucid-origin', prompt: 'a lighthouse at dusk', width: 1024, height: 768, steps: 10, seed: 7 };
      const from = server.app.simulator!.requests.length;
      const result = api === 'graphql'
        ? (await gqlOk<{ generateImage: { id: string; images: Array<{ mediaType: string; data: string }>; usage: Record<string, unknown> } }>(`mutation($input: GenerateImageInput!) { generateImage(input: $input) { id model images { mediaType data } ${USAGE} } }`, { input })).generateImage
        : await server.trpc(key).generateImage.mutate(input);
      expect(result.images).toHaveLength(1);
      expect(result.images[0]!.mediaType).toBe('image/png');
      expect(isPng(result.images[0]!.data)).toBe(true);
      expect(result.usage).toMatchObject({ modality: 'IMAGE', images: 1, imageTiles: 4, imageSteps: 10 });
      expect(upstreamSince(from)).toEqual([expect.stringMatching(/\/ai\/run\/@cf\/leonardo\/lucid-origin$/)]);
      const row = await expectOneBilledRow(result.id, 'IMAGE');
      expect(row).toMatchObject({ images: 1, imageTiles: 4, imageSteps: 10, api: 'RUN' });
      // 4 tiles x $0.006996 + 10 steps x $0.000132, by hand.
      expect(new Dec(row.costUsd!.toString()).toFixed()).toBe('0.029304');
    });

    it(`${api}: transcribe gives the text and segments, one row billed on the audio's seconds`, async () => {
      const input = { model: '@cf/openai/whisper-large-v3-turbo', audio: { data: wavBase64(2.5), mediaType: 'audio/wav' }, language: 'en' };
      const from = server.app.simulator!.requests.length;
      const result = api === 'graphql'
        ? (await gqlOk<{ transcribe: { id: string; text: string; durationSeconds: number; segments: unknown[]; usage: Record<string, unknown> } }>(`mutation($input: TranscribeInput!) { transcribe(input: $input) { id model text language durationSeconds segments { start end text } ${USAGE} } }`, { input })).transcribe
        : await server.trpc(key).transcribe.mutate(input);
      expect(result.text).toBe('Transcript of 2.500 seconds of audio.');
      expect(result.durationSeconds).toBe(2.5);
      expect(result.segments).toEqual([{ start: 0, end: 2.5, text: result.text }]);
      expect(result.usage).toMatchObject({ modality: 'TRANSCRIPTION', audioSeconds: 2.5 });
      expect(upstreamSince(from)).toEqual([expect.stringMatching(/\/ai\/run\/@cf\/openai\/whisper-large-v3-turbo$/)]);
      const row = await expectOneBilledRow(result.id, 'TRANSCRIPTION');
      expect(Number(row.audioSeconds)).toBe(2.5);
    });

    it(`${api}: speak gives real audio, one row billed on the characters`, async () => {
      const input = { model: '@cf/deepgram/aura-2-en', text: 'Your order has shipped.', voice: 'luna' };
      const from = server.app.simulator!.requests.length;
      const result = api === 'graphql'
        ? (await gqlOk<{ speak: { id: string; audio: { mediaType: string; data: string }; usage: Record<string, unknown> } }>(`mutation($input: SpeakInput!) { speak(input: $input) { id model audio { mediaType data } ${USAGE} } }`, { input })).speak
        : await server.trpc(key).speak.mutate(input);
      expect(result.audio.mediaType).toBe('audio/wav');
      expect(isWav(result.audio.data)).toBe(true);
      expect(result.usage).toMatchObject({ modality: 'SPEECH', characters: 23 });
      expect(upstreamSince(from)).toEqual([expect.stringMatching(/\/ai\/run\/@cf\/deepgram\/aura-2-en$/)]);
      const row = await expectOneBilledRow(result.id, 'SPEECH');
      expect(row.characters).toBe(23);
    });
  }

  it('speech priced per minute (MeloTTS) is billed on the generated audio, which the reply carries as JSON base64', async () => {
    const result = await server.trpc(key).speak.mutate({ model: '@cf/myshell-ai/melotts', text: 'Bonjour à tous', language: 'fr' });
    expect(isWav(result.audio.data)).toBe(true);
    const row = await expectOneBilledRow(result.id, 'SPEECH');
    // The simulator speaks 0.06 s a character.
    expect(Number(row.audioSeconds)).toBe(0.84);
  });

  it('embed with BASE64 encoding gives float32 little-endian vectors equal to the FLOAT ones', async () => {
    const input = { model: '@cf/baai/bge-small-en-v1.5', texts: ['stable'] };
    const floats = await server.trpc(key).embed.mutate(input);
    const encoded = await server.trpc(key).embed.mutate({ ...input, encoding: 'BASE64' });
    expect(encoded.vectors).toBeNull();
    const bytes = Buffer.from(encoded.base64Vectors![0]!, 'base64');
    const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(decoded).toHaveLength(384);
    decoded.forEach((x, i) => expect(x).toBeCloseTo(floats.vectors![0]![i]!, 5));
  });

  it('routed to RUN by MODEL_ROUTES, embed sends the universal envelope to /ai/run and reads the model\'s own usage report', async () => {
    // bge-m3 reports its tokens in meta (no usage object): the row still has them.
    const from = server.app.simulator!.requests.length;
    const result = await server.trpc(key).embed.mutate({ model: '@cf/baai/bge-m3', texts: ['uno', 'dos'] });
    expect(upstreamSince(from)).toEqual([expect.stringMatching(/\/ai\/run$/)]);
    expect(server.app.simulator!.requests.at(-1)!.body).toEqual({ model: '@cf/baai/bge-m3', input: { text: ['uno', 'dos'] } });
    const row = await expectOneBilledRow(result.id, 'EMBEDDING');
    expect(row).toMatchObject({ inputTokens: 6, api: 'RUN', usageEstimated: false });
  });
});

async function gqlOk<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await server.gql<T>(query, variables, key);
  expect(res.errors).toBeUndefined();
  return res.data!;
}

describe('refusals before admission, budgets, cancellation', () => {
  it('audio over MAX_AUDIO_BYTES is BAD_INPUT before anything is reserved, recorded or sent', async () => {
    const from = server.app.simulator!.requests.length;
    const before = await server.app.db.prisma.usageRecord.count();
    const big = Buffer.alloc(MAX_AUDIO_BYTES + 1, 1).toString('base64');
    const res = await server.gql(`mutation($input: TranscribeInput!) { transcribe(input: $input) { id } }`, { input: { model: '@cf/openai/whisper-large-v3-turbo', audio: { data: big } } }, key);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'audio' });
    expect(await trpcCode(server.trpc(key).transcribe.mutate({ model: '@cf/openai/whisper-large-v3-turbo', audio: { data: big } }))).toBe('BAD_INPUT');
    expect(upstreamSince(from)).toEqual([]);
    expect(await server.app.db.prisma.usageRecord.count()).toBe(before);
  });

  it('the body limit widens for transcribe only: other operations over MAX_BODY_BYTES are refused (413)', async () => {
    const audio = wavBase64(3); // 48 kB of WAV: 64 kB of base64, over MAX_BODY_BYTES
    expect(audio.length).toBeGreaterThan(MAX_BODY_BYTES);
    const res = await server.gql<{ transcribe: { text: string } }>(`mutation($input: TranscribeInput!) { transcribe(input: $input) { text } }`, { input: { model: '@cf/openai/whisper-large-v3-turbo', audio: { data: audio } } }, key);
    expect(res.errors).toBeUndefined();
    expect(res.data!.transcribe.text).toBe('Transcript of 3.000 seconds of audio.');
    expect((await server.trpc(key, false).transcribe.mutate({ model: '@cf/openai/whisper-large-v3-turbo', audio: { data: audio } })).text).toBe(res.data!.transcribe.text);
    const texts = [audio.slice(0, 40_000)];
    const embed = await server.gql(`mutation($input: EmbedInput!) { embed(input: $input) { id } }`, { input: { model: '@cf/baai/bge-m3', texts } }, key);
    expect(embed.status).toBe(413);
    expect(embed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'body' });
    // A transcribe beside another field is not a transcribe-only operation.
    const mixed = await server.gql(`mutation($input: TranscribeInput!) { transcribe(input: $input) { text } embed(input: { model: "@cf/baai/bge-m3", texts: ["a"] }) { id } }`, { input: { model: '@cf/openai/whisper-large-v3-turbo', audio: { data: audio } } }, key);
    expect(mixed.status).toBe(413);
    await expect(server.trpc(key, false).embed.mutate({ model: '@cf/baai/bge-m3', texts })).rejects.toThrow();
  });

  it('a model of one size (flux-1-schnell) takes its own size, asked for or not, and refuses another naming the field', async () => {
    const flux = '@cf/black-forest-labs/flux-1-schnell';
    const drawn = await server.trpc(key).generateImage.mutate({ model: flux, prompt: 'a kite', width: 1024, height: 1024, steps: 4 });
    expect(drawn.images).toHaveLength(1);
    const sent = server.app.simulator!.requests.at(-1)!.body as { input?: Record<string, unknown> } & Record<string, unknown>;
    expect(JSON.stringify(sent)).not.toMatch(/"width"|"height"/); // its schema takes neither
    const res = await server.gql(`mutation { generateImage(input: { model: "${flux}", prompt: "a kite", height: 512 }) { id } }`, {}, key);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'height' });
  });

  it('a model of another modality is BAD_INPUT naming the model', async () => {
    expect(await trpcCode(server.trpc(key).generateImage.mutate({ model: '@cf/baai/bge-m3', prompt: 'x' }))).toBe('BAD_INPUT');
    const res = await server.gql(`mutation { embed(input: { model: "openai/gpt-5.5", texts: ["a"] }) { id } }`, {}, key);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_INPUT', field: 'model' });
  });

  it('a USD budget refuses an image call whose reservation does not fit, and lets a cheaper one through', async () => {
    const budget = await createUserWithKey(server, 'image-budget@example.com');
    // lucid-origin at 2048x2048, 40 steps: 16 tiles x $0.006996 + 40 x $0.000132 = $0.117216 > $0.05.
    await server.trpc().admin.setUserLimits.mutate({ userId: budget.userId, monthlyBudgetUsd: '0.05' });
    const from = server.app.simulator!.requests.length;
    expect(await trpcCode(server.trpc(budget.key).generateImage.mutate({ model: '@cf/leonardo/lucid-origin', prompt: 'a big one', width: 2048, height: 2048, steps: 40 }))).toBe('BUDGET_EXCEEDED');
    expect(upstreamSince(from)).toEqual([]);
    expect(await server.app.db.prisma.usageRecord.count({ where: { userId: budget.userId } })).toBe(0);
    // 1 tile x $0.006996 + 4 steps: fits.
    const small = await server.trpc(budget.key).generateImage.mutate({ model: '@cf/leonardo/lucid-origin', prompt: 'a small one', width: 512, height: 512, steps: 4 });
    expect(small.usage.costUsd).toBe('0.007524');
  });

  it('a cancelled transcription leaves a CANCELLED row', async () => {
    const sim = server.app.simulator!;
    sim.injectFault({ type: 'slow_first_byte', ms: 5_000 }, { times: 1, match: (r) => r.path.includes('whisper') });
    const controller = new AbortController();
    const call = fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: `mutation($input: TranscribeInput!) { transcribe(input: $input) { id } }`, variables: { input: { model: '@cf/openai/whisper-large-v3-turbo', audio: { data: wavBase64(1) } } } }),
      signal: controller.signal,
    });
    const started = Date.now();
    while (!(await server.app.db.prisma.usageRecord.findFirst({ where: { userId, modality: 'TRANSCRIPTION', status: 'PENDING' } }))) {
      if (Date.now() - started > 5_000) throw new Error('no PENDING row');
      await new Promise((r) => setTimeout(r, 20));
    }
    controller.abort();
    await expect(call).rejects.toThrow();
    let row;
    while (!(row = await server.app.db.prisma.usageRecord.findFirst({ where: { userId, modality: 'TRANSCRIPTION', status: 'CANCELLED' } }))) {
      if (Date.now() - started > 4_000) throw new Error('no CANCELLED row');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(row).toMatchObject({ modality: 'TRANSCRIPTION', status: 'CANCELLED' });
    expect(await server.app.db.prisma.usageRecord.count({ where: { userId, modality: 'TRANSCRIPTION', status: 'PENDING' } })).toBe(0);
  });
});

describe('recovery', () => {
  it('a PENDING image row whose instance died becomes INTERRUPTED, priced on its reserved units', async () => {
    const id = crypto.randomUUID();
    const createdAt = new Date();
    await server.app.db.prisma.usageRecord.create({
      data: {
        id, callId: id, userId: crypto.randomUUID(), ownerId: crypto.randomUUID(), requestedModel: '@cf/leonardo/lucid-origin', api: 'RUN', gatewayId: 'default',
        status: 'PENDING', latencyMs: 0, createdAt, modality: 'IMAGE', images: 1, imageTiles: 9, imageSteps: 20,
      },
    });
    expect(await server.app.recovery.sweep()).toBeGreaterThanOrEqual(1);
    const row = await server.app.db.prisma.usageRecord.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'INTERRUPTED', modality: 'IMAGE', imageTiles: 9, imageSteps: 20 });
    // 9 tiles x $0.006996 + 20 steps x $0.000132
    expect(new Dec(row.costUsd!.toString()).toFixed()).toBe('0.065604');
    await server.app.db.prisma.usageRecord.delete({ where: { id } });
  });
});

describe('reports by modality', () => {
  it('usageReport by MODALITY (whole days from the roll-up, and a partial day from the ledger) and reporting.usage agree with the rows', async () => {
    const rows = await server.app.db.prisma.usageRecord.findMany({ where: { userId } });
    expect(new Set(rows.map((r) => r.modality))).toEqual(new Set(['EMBEDDING', 'IMAGE', 'TRANSCRIPTION', 'SPEECH']));
    const expected = new Map<string, { requests: number; costUsd: string; images: number; imageTiles: number; imageSteps: number; audioSeconds: string; characters: number; inputTokens: number }>();
    for (const r of rows) {
      const e = expected.get(r.modality) ?? { requests: 0, costUsd: '0', images: 0, imageTiles: 0, imageSteps: 0, audioSeconds: '0', characters: 0, inputTokens: 0 };
      expected.set(r.modality, {
        requests: e.requests + 1,
        costUsd: new Dec(e.costUsd).add(r.costUsd ? r.costUsd.toString() : '0').toFixed(),
        images: e.images + r.images,
        imageTiles: e.imageTiles + r.imageTiles,
        imageSteps: e.imageSteps + r.imageSteps,
        audioSeconds: new Dec(e.audioSeconds).add(r.audioSeconds.toString()).toFixed(),
        characters: e.characters + r.characters,
        inputTokens: e.inputTokens + r.inputTokens,
      });
    }
    const day = 86_400_000;
    const today = Math.floor(Date.now() / day) * day;
    // [yesterday, tomorrow): today is a whole day (the roll-up); [today - 1 h, now + 1 h): the ledger itself.
    for (const [from, to] of [[today - day, today + day], [Date.now() - 3_600_000, Date.now() + 3_600_000]] as const) {
      const res = await server.gql<{ usageReport: { rows: Array<Record<string, unknown>>; totals: Record<string, unknown> } }>(
        `query($input: UsageReportInput!) { usageReport(input: $input) { rows { modality requests inputTokens costUsd images imageTiles imageSteps audioSeconds characters } totals { requests costUsd } } }`,
        { input: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), groupBy: ['MODALITY'], userId } },
      );
      expect(res.errors).toBeUndefined();
      const got = res.data!.usageReport.rows;
      expect(got.map((r) => r.modality)).toEqual([...expected.keys()].sort());
      for (const r of got) {
        const e = expected.get(r.modality as string)!;
        expect({ ...r, costUsd: new Dec(r.costUsd as string).toFixed(), audioSeconds: new Dec(String(r.audioSeconds)).toFixed() }).toEqual({ modality: r.modality, ...e });
      }
      expect(res.data!.usageReport.totals.requests).toBe(rows.length);
    }
    const view = await server.app.db.prisma.$queryRawUnsafe<Array<{ modality: string; requests: number; cost: string; tiles: number; seconds: string; characters: number }>>(
      `SELECT modality, count(*)::int AS requests, sum(cost_usd)::text AS cost, sum(image_tiles)::int AS tiles, sum(audio_seconds)::text AS seconds, sum(characters)::int AS characters
       FROM reporting.usage WHERE user_id = $1::uuid GROUP BY modality ORDER BY modality`,
      userId,
    );
    expect(view.map((v) => v.modality)).toEqual([...expected.keys()].sort());
    for (const v of view) {
      const e = expected.get(v.modality)!;
      expect({ requests: v.requests, cost: new Dec(v.cost).toFixed(), tiles: v.tiles, seconds: new Dec(v.seconds).toFixed(), characters: v.characters }).toEqual({ requests: e.requests, cost: e.costUsd, tiles: e.imageTiles, seconds: e.audioSeconds, characters: e.characters });
    }
  });

  it('docs/sql.md "Spend per modality", run as written over this range, gives usageReport by MODALITY', async () => {
    const doc = readFileSync(new URL('../../docs/sql.md', import.meta.url), 'utf8');
    const sql = /^## Spend per modality\n[\s\S]*?```sql\n([\s\S]*?)```/m.exec(doc)![1]!.trim().replace(/;$/, '');
    const from = new Date(Date.now() - 3_600_000);
    const to = new Date(Date.now() + 3_600_000);
    const ranged = sql.replace("timestamptz '2026-11-01 00:00:00Z'", `timestamptz '${from.toISOString()}'`).replace("timestamptz '2026-12-01 00:00:00Z'", `timestamptz '${to.toISOString()}'`);
    expect(ranged).not.toBe(sql);
    const got = await server.app.db.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(ranged);
    const report = await server.trpc().usage.report.query({ from, to, groupBy: ['MODALITY'], allUsers: true });
    expect(got.map((r) => ({
      modality: r.modality, requests: Number(r.requests), inputTokens: Number(r.input_tokens), images: Number(r.images), imageTiles: Number(r.image_tiles),
      imageSteps: Number(r.image_steps), audioSeconds: Number(r.audio_seconds), characters: Number(r.characters), costUsd: r.cost_usd === null ? null : new Dec(String(r.cost_usd)).toFixed(),
    }))).toEqual(report.rows.map((r) => ({
      modality: r.modality, requests: r.requests, inputTokens: r.inputTokens, images: r.images, imageTiles: r.imageTiles,
      imageSteps: r.imageSteps, audioSeconds: r.audioSeconds, characters: r.characters, costUsd: r.costUsd === null ? null : new Dec(r.costUsd).toFixed(),
    })));
    expect(got.length).toBeGreaterThanOrEqual(4);
  });

  it('models says each model\'s modality, and every non-text model it lists has a price on its units', async () => {
    const models = await server.trpc(key).models.query();
    const nonText = models.filter((m) => m.modality !== 'TEXT');
    expect(new Set(nonText.map((m) => m.modality))).toEqual(new Set(['EMBEDDING', 'IMAGE', 'TRANSCRIPTION', 'SPEECH']));
    for (const m of nonText) {
      expect(m.price, m.id).not.toBeNull();
      const p = m.price!;
      const priced = ({ EMBEDDING: p.inputPerMTok !== '0', IMAGE: p.perImageTile != null && p.perImageStep != null, TRANSCRIPTION: p.perAudioMinute != null, SPEECH: p.perAudioMinute != null || p.perThousandChars != null } as Record<string, boolean>)[m.modality];
      expect(priced, m.id).toBe(true);
      expect(p.source).toMatch(/developers\.cloudflare\.com\/workers-ai\/platform\/pricing/);
    }
    expect(models.find((m) => m.id === '@cf/black-forest-labs/flux-1-schnell')).toMatchObject({ modality: 'IMAGE', api: 'CHAT_COMPLETIONS' });
  });
});
