// The simulator's non-text models, as the official openai SDK and the Workers AI wire see them:
// embeddings.create parses /ai/v1/embeddings (float and base64), /ai/run answers each modality
// deterministically (real PNG and WAV bytes), and the injected faults apply to them too.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedTokens, simulatedVector, simulatedWav } from '../../src/simulator/modalities.ts';
import { startSimulator, type Simulator } from '../../src/simulator/server.ts';

let sim: Simulator;
let openai: OpenAI;
beforeAll(async () => {
  sim = await startSimulator({ token: 'sdk-token' });
  openai = new OpenAI({ baseURL: `${sim.baseUrl}/accounts/acc/ai/v1`, apiKey: 'sdk-token', maxRetries: 0 });
});
afterAll(() => sim.close());

const run = (path: string, body: unknown) =>
  fetch(`${sim.baseUrl}/accounts/acc/ai/run${path}`, { method: 'POST', headers: { authorization: 'Bearer sdk-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('openai SDK embeddings.create', () => {
  it('parses vectors, usage and order, stable across calls', async () => {
    const input = ['first text', 'second text'];
    const res = await openai.embeddings.create({ model: '@cf/baai/bge-base-en-v1.5', input, encoding_format: 'float' });
    expect(res.object).toBe('list');
    expect(res.data.map((d) => d.index)).toEqual([0, 1]);
    expect(res.data[0]!.embedding).toEqual(simulatedVector('first text', 768));
    expect(res.usage).toEqual({ prompt_tokens: simulatedTokens('first text') + simulatedTokens('second text'), total_tokens: simulatedTokens('first text') + simulatedTokens('second text') });
    const again = await openai.embeddings.create({ model: '@cf/baai/bge-base-en-v1.5', input, encoding_format: 'float' });
    expect(again.data[1]!.embedding).toEqual(res.data[1]!.embedding);
    const norm = Math.sqrt(res.data[0]!.embedding.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 4);
  });

  it('a model that is not an embedding model is an OpenAI-shaped 400 the SDK raises', async () => {
    await expect(openai.embeddings.create({ model: 'openai/gpt-5.5', input: 'x' })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('an injected rate limit reaches the SDK as a RateLimitError', async () => {
    sim.injectFault({ type: 'rate_limit', retryAfterSeconds: 1 }, { times: 1 });
    await expect(openai.embeddings.create({ model: '@cf/baai/bge-m3', input: 'x' })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe('/ai/run modalities', () => {
  it('an image: a real PNG in result.image (base64), the same for the same prompt', async () => {
    const a = (await (await run('/@cf/black-forest-labs/flux-1-schnell', { prompt: 'a red fox', steps: 4 })).json()) as { result: { image: string } };
    const b = (await (await run('', { model: '@cf/black-forest-labs/flux-1-schnell', input: { prompt: 'a red fox' } })).json()) as { result: { image: string } };
    const png = Buffer.from(a.result.image, 'base64');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(16); // IHDR width
    expect(b.result.image).toBe(a.result.image);
  });

  it('Aura speech: raw audio/wav bytes, a real WAV', async () => {
    const res = await run('/@cf/deepgram/aura-2-en', { text: 'hello there', speaker: 'luna' });
    expect(res.headers.get('content-type')).toBe('audio/wav');
    const wav = Buffer.from(await res.arrayBuffer());
    expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
    expect(wav.toString('latin1', 8, 12)).toBe('WAVE');
  });

  it('whisper: the transcript states the audio\'s duration; nova-3 takes raw bytes', async () => {
    const whisper = (await (await run('/@cf/openai/whisper-large-v3-turbo', { audio: simulatedWav(1.25).toString('base64') })).json()) as { result: { text: string; transcription_info: { duration: number } } };
    expect(whisper.result.transcription_info.duration).toBe(1.25);
    const nova = await fetch(`${sim.baseUrl}/accounts/acc/ai/run/@cf/deepgram/nova-3?language=en`, { method: 'POST', headers: { authorization: 'Bearer sdk-token', 'content-type': 'audio/wav' }, body: new Uint8Array(simulatedWav(0.5)) });
    const body = (await nova.json()) as { result: { results: { channels: Array<{ alternatives: Array<{ transcript: string }> }> } } };
    expect(body.result.results.channels[0]!.alternatives[0]!.transcript).toBe('Transcript of 0.500 seconds of audio.');
  });

  it('a server error fault answers 500 with a v4 envelope', async () => {
    sim.injectFault({ type: 'server_error' }, { times: 1 });
    const res = await run('/@cf/myshell-ai/melotts', { prompt: 'x' });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ success: false });
  });
});
