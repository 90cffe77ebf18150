// GraphQL's own coercion messages quote the rejected value (a prompt, a secret): the answer keeps
// the variable, the path and the rule, never the value (graphql-js's and graphql-jit's formats).
import { buildSchema, graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import { withoutEchoedValues } from '../../src/graphql/errors.ts';

const SECRET = 'PRMTMARK hidden; Expected type "E"';
const schema = buildSchema('input T { a: String!, b: Int, e: E } enum E { X Y } type Query { f(t: T!): String }');
const messagesFor = async (t: unknown, source = 'query Q($t: T!) { f(t: $t) }') =>
  ((await graphql({ schema, source, variableValues: { t } })).errors ?? []).map((e) => e.message);

describe('coercion messages without the values they rejected', () => {
  it.each([
    [{ a: null }, 'Variable "$t" got an invalid value at "t.a": expected a non-null String!.'],
    [{ a: 'x', b: SECRET }, 'Variable "$t" got an invalid value at "t.b": not a valid Int.'],
    [{ a: { k: SECRET } }, 'Variable "$t" got an invalid value at "t.a": not a valid String.'],
    [{ a: 'x', e: SECRET }, 'Variable "$t" got an invalid value at "t.e": not a value of enum E.'],
    [{ a: 'x', [SECRET]: 1 }, 'Variable "$t" got an invalid value: a field that type T does not define.'],
    [SECRET, 'Variable "$t" got an invalid value: expected an object of type T.'],
  ])('%j', async (value, expected) => {
    const [message] = await messagesFor(value);
    expect(message).toContain('got invalid value'); // graphql-js quotes the value ...
    expect(withoutEchoedValues(message!)).toBe(expected); // ... the answer does not
    expect(withoutEchoedValues(message!)).not.toContain('PRMTMARK');
  });

  it('a literal in the document, and graphql-jit\'s format', async () => {
    const literal = await messagesFor(undefined, `{ f(t: { a: 5, b: "${SECRET.replace(/"/g, '\\"')}" }) }`);
    expect(literal.map(withoutEchoedValues)).toEqual(['String cannot represent a non string value.', 'Int cannot represent non-integer value.']);
    const jit = `Variable "$input" got invalid value { toolCallId: null, content: "${SECRET}" }; Expected non-nullable type String! not to be null at value.toolResults[0].toolCallId.`;
    expect(withoutEchoedValues(jit)).toBe('Variable "$input" got an invalid value at "value.toolResults[0].toolCallId": expected a non-null String!.');
  });

  it('a 200 KB value is cut out in linear time (no pattern scans it)', async () => {
    const huge = 'y'.repeat(200_000);
    for (const value of [huge, { a: { k: huge } }, { a: 'x', b: huge }, { a: 'x', [huge]: 1 }]) {
      const [message] = await messagesFor(value);
      const answer = withoutEchoedValues(message!);
      expect(answer.length).toBeLessThan(200);
      expect(answer).toMatch(/^Variable "\$t" got an invalid value/);
    }
    expect(withoutEchoedValues(`Variable "$input" got invalid value "${huge}"; Expected type String at value.x.`)).toBe('Variable "$input" got an invalid value at "value.x": expected type String.');
  });

  it('leaves every other message as it is', () => {
    expect(withoutEchoedValues('Cannot query field "x" on type "Query".')).toBe('Cannot query field "x" on type "Query".');
  });
});
