// Structured output through the SDK: response_format json_schema (native on Sonnet 4.5, forced-tool fallback on
// Claude 3 Haiku), json_object, streamed, and the SDK's parse() helper.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HAIKU, SONNET45, T, collect, explain, startGateway } from './helpers/gateway.mjs';

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
    mood: { type: 'string', enum: ['happy', 'sad'] },
  },
  required: ['name', 'age', 'tags', 'mood'],
  additionalProperties: false,
};
const responseFormat = { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } };

function checkPerson(text) {
  let v;
  assert.doesNotThrow(() => (v = JSON.parse(text)), `content is not JSON: ${JSON.stringify(text)}`);
  assert.equal(typeof v, 'object');
  assert.deepEqual(Object.keys(v).sort(), ['age', 'mood', 'name', 'tags'], `keys of ${text}`);
  assert.equal(typeof v.name, 'string');
  assert.ok(Number.isInteger(v.age), `age ${v.age}`);
  assert.ok(Array.isArray(v.tags) && v.tags.every((t) => typeof t === 'string'), `tags ${JSON.stringify(v.tags)}`);
  assert.ok(['happy', 'sad'].includes(v.mood), `mood ${v.mood}`);
  return v;
}

describe('structured output', () => {
  let gw, client;
  before(async () => {
    gw = await startGateway();
    client = gw.client();
  });
  after(() => gw?.stop());

  for (const model of [SONNET45, HAIKU]) {
    test(`json_schema strict on ${model}: content is JSON matching the schema`, T, async () => {
      const r = await client.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'Describe Ada.' }], response_format: responseFormat })
        .catch((e) => assert.fail(explain(e)));
      const c = r.choices[0];
      assert.ok(!c.message.tool_calls?.length, `the reply is content, not a tool call: ${JSON.stringify(c.message)}`);
      assert.equal(c.finish_reason, 'stop', JSON.stringify(c));
      checkPerson(c.message.content);
    });

    test(`json_schema streamed on ${model}: concatenated content is JSON matching the schema`, T, async () => {
      const stream = await client.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'Describe Grace.' }], response_format: responseFormat, stream: true })
        .catch((e) => assert.fail(explain(e)));
      const chunks = await collect(stream);
      assert.ok(!chunks.some((c) => c.choices[0]?.delta?.tool_calls), 'no tool-call deltas');
      const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      checkPerson(text);
      assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
    });
  }

  test('json_object: content is a JSON object', T, async () => {
    for (const model of [HAIKU, SONNET45]) {
      const r = await client.chat.completions
        .create({
          model,
          messages: [{ role: 'user', content: 'Reply in JSON with a greeting field.' }],
          response_format: { type: 'json_object' },
        })
        .catch((e) => assert.fail(`${model}: ${explain(e)}`));
      const text = r.choices[0].message.content;
      let v;
      assert.doesNotThrow(() => (v = JSON.parse(text)), `${model}: content is not JSON: ${JSON.stringify(text)}`);
      assert.ok(v && typeof v === 'object' && !Array.isArray(v), `${model}: not an object: ${text}`);
    }
  });

  test('SDK parse() helper returns message.parsed', T, async () => {
    const r = await client.chat.completions
      .parse({ model: SONNET45, messages: [{ role: 'user', content: 'Describe Linus.' }], response_format: responseFormat })
      .catch((e) => assert.fail(explain(e)));
    const parsed = r.choices[0].message.parsed;
    assert.ok(parsed, JSON.stringify(r.choices[0].message));
    checkPerson(JSON.stringify(parsed));
  });
});
