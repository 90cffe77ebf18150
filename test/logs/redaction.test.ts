// Redaction at the logger: no prompt, system text, tool content or key reaches a log line unless
// LOG_PROMPTS=true, database and library error reports included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, safeErrorMessage } from '../../src/platform/logger.ts';
import { AppError } from '../../src/platform/errors.ts';
import { trpcErrorData } from '../helpers/errors.ts';
import { createUserWithKey, startTestServer, type TestServer } from '../helpers/server.ts';

const SYSTEM = 'SYSTEM-PROMPT-never-in-logs';
const TOOL_TEXT = 'TOOL-CONTENT-never-in-logs';

describe('the logger', () => {
  it('cuts a library error to its first line with quoted parts masked; keeps its own errors; LOG_PROMPTS=true keeps all', () => {
    const lines: string[] = [];
    const logger = createLogger('debug', ['cf-token-123'], (l) => void lines.push(l));
    const prismaLike = Object.assign(new Error(`\nInvalid \`prisma.conversation.create()\` invocation:\n{\n  data: { system: "${SYSTEM}" }\n}\nvalue '${TOOL_TEXT}'`), { name: 'PrismaClientKnownRequestError', code: 'P2000', meta: { code: '22P05' } });
    logger.error('internal error', { cause: new AppError('INTERNAL', 'write failed', {}, { cause: prismaLike }) });
    logger.error('pg', { cause: new Error(`invalid input syntax for type integer: "${SYSTEM}"`) });
    logger.info('keys', { auth: 'Bearer sb_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', token: 'cf-token-123' });
    const all = lines.join('\n');
    expect(all).not.toContain(SYSTEM);
    expect(all).not.toContain(TOOL_TEXT);
    expect(all).not.toContain('AAAAAAAAAAAAAAAAAAAA');
    expect(all).not.toContain('cf-token-123');
    const first = JSON.parse(lines[0]!) as { cause: { message: string; cause: { name: string; message: string; code: string; sqlState: string } } };
    expect(first.cause.message).toBe('write failed');
    expect(first.cause.cause).toMatchObject({ name: 'PrismaClientKnownRequestError', message: 'Invalid … invocation:', code: 'P2000', sqlState: '22P05' });
    expect(JSON.parse(lines[1]!).cause.message).toBe('invalid input syntax for type integer: …');

    const verbose: string[] = [];
    createLogger('debug', [], (l) => void verbose.push(l), { logPrompts: true }).error('pg', { cause: new Error(`syntax: "${SYSTEM}"`) });
    expect(verbose.join('\n')).toContain(SYSTEM);
  });

  it('safeErrorMessage: first non-empty line, quotes masked, bounded', () => {
    expect(safeErrorMessage('\n\nUnexpected token \'h\', "hello" is not valid JSON\nmore')).toBe('Unexpected token …, … is not valid JSON');
    expect(safeErrorMessage('x'.repeat(500)).length).toBeLessThanOrEqual(201);
  });
});

describe('a real server, LOG_PROMPTS off', () => {
  let server: TestServer;
  let user: { userId: string; key: string };
  const lines: string[] = [];
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'test' }, { logger: createLogger('debug', [], (l) => void lines.push(l)) });
    user = await createUserWithKey(server, 'logs@example.com');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a lone surrogate in toolResults.content is BAD_INPUT at the door; a database error report carries no parameters', async () => {
    const client = server.trpc(user.key);
    const turn = await client.chat.mutate({ model: 'openai/gpt-5.5', message: 'weather?', system: SYSTEM, tools: [{ name: 'weather', parameters: { type: 'object' } }], toolChoice: { mode: 'REQUIRED' } });
    const error = await trpcErrorData(client.chat.mutate({ model: 'openai/gpt-5.5', conversationId: turn.conversation.id, toolResults: [{ toolCallId: turn.assistantMessage.toolCalls[0]?.id ?? 'call_0', content: `${TOOL_TEXT} \uD800` }] }));
    expect(error.appCode).toBe('BAD_INPUT');
    expect(error.field).toBe('toolResults.0.content');
    // A Prisma error whose message prints the call's arguments, reported the way the app reports one.
    const findFirst = server.app.db.prisma.conversation.findFirst as (args: unknown) => Promise<unknown>;
    const failed = await findFirst({ where: { title: SYSTEM, noSuchField: 1 } }).catch((e: unknown) => e);
    expect(String(failed)).toContain(SYSTEM);
    server.app.logger.error('internal error', { cause: new AppError('INTERNAL', 'query failed', {}, { cause: failed }) });
    const all = lines.join('\n');
    expect(all).toContain('query failed');
    expect(all).not.toContain(SYSTEM);
    expect(all).not.toContain(TOOL_TEXT);
    expect(all).not.toContain(user.key);
  });
});
