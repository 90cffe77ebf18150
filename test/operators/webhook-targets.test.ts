// The webhook sender's SSRF rules, with a resolver the test controls: allow-listed names that
// resolve to private or loopback addresses are refused at creation and at delivery (a DNS answer
// that changes after creation is caught on the connection itself); listed IP literals are allowed.
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/platform/errors.ts';
import { createWebhookSender, isPrivateAddress, parseAllowedHosts } from '../../src/upstream/webhook-sender.ts';
import { startReceiver } from './webhook-receiver.ts';

describe('webhook targets', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const answers = new Map<string, string[]>();
  const resolveHost = async (hostname: string): Promise<LookupAddress[]> => {
    const found = answers.get(hostname);
    if (!found) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  const sender = () =>
    createWebhookSender({ allowedHosts: `hooks.example.test, internal.example.test, rebind.example.test:${receiver.port}, 127.0.0.1:${receiver.port}`, resolveHost });

  const refusal = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'accepted';
    } catch (error) {
      return error instanceof AppError ? `${error.code}:${error.details.field}` : 'failed';
    }
  };

  it('parses host names, host:port and IPv6', () => {
    expect(parseAllowedHosts(' Hooks.Example.com ,a.test:8443,[::1]:9000,fd00::1')).toEqual([
      { host: 'hooks.example.com' },
      { host: 'a.test', port: '8443' },
      { host: '::1', port: '9000' },
      { host: 'fd00::1' },
    ]);
  });

  it('classifies loopback, private, link-local, shared and mapped addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd12::1', 'fe80::1', '::ffff:10.0.0.1']) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('at creation: a listed name must resolve to public addresses only', async () => {
    const s = sender();
    answers.set('hooks.example.test', ['93.184.216.34']);
    answers.set('internal.example.test', ['93.184.216.34', '10.0.0.7']);
    expect(await refusal(s.check('https://hooks.example.test/budget'))).toBe('accepted');
    expect(await refusal(s.check('https://internal.example.test/budget'))).toBe('BAD_INPUT:webhookUrl');
    expect(await refusal(s.check('https://unlisted.example.test/budget'))).toBe('BAD_INPUT:webhookUrl');
    expect(await refusal(s.check('https://user:pw@hooks.example.test/budget'))).toBe('BAD_INPUT:webhookUrl');
    expect(await refusal(s.check(`http://127.0.0.1:${receiver.port}/hook`))).toBe('accepted'); // listed as the address itself
    answers.delete('hooks.example.test');
    expect(await refusal(s.check('https://hooks.example.test/budget'))).toBe('BAD_INPUT:webhookUrl'); // does not resolve
    await s.close();
  });

  it('at delivery: a name that now resolves to loopback is refused on the connection; a listed address is delivered', async () => {
    const s = sender();
    answers.set('rebind.example.test', ['93.184.216.34']);
    await s.check(`http://rebind.example.test:${receiver.port}/hook`);
    answers.set('rebind.example.test', ['127.0.0.1']);
    const before = receiver.posts.length;
    await expect(s.post(`http://rebind.example.test:${receiver.port}/hook`, '{}', {})).rejects.toThrow();
    expect(receiver.posts.length).toBe(before);
    expect(await s.post(`http://127.0.0.1:${receiver.port}/hook`, '{"ok":true}', { 'x-switchboard-event-id': 'e1' })).toBe(200);
    expect(receiver.posts.at(-1)).toMatchObject({ body: '{"ok":true}' });
    await s.close();
  });
});
