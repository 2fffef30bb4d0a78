// Reasoning through the SDK: reasoning_effort on Claude Sonnet 4.5 gives reasoning_content (message and deltas), small
// task calls are not broken by thinking, and thinking + tool use works over several turns.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SONNET45, T, collect, explain, startGateway, weatherTool } from './helpers/gateway.mjs';

describe('reasoning', () => {
  let gw, client;
  before(async () => {
    gw = await startGateway();
    client = gw.client();
  });
  after(() => gw?.stop());

  test('reasoning_effort low, non-stream: message.reasoning_content and the answer', T, async () => {
    const r = await client.chat.completions
      .create({ model: SONNET45, messages: [{ role: 'user', content: 'Think about it' }], reasoning_effort: 'low' })
      .catch((e) => assert.fail(explain(e)));
    const msg = r.choices[0].message;
    const reasoning = /** @type {any} */ (msg).reasoning_content;
    assert.ok(typeof reasoning === 'string' && reasoning.length > 0, `no reasoning_content in ${JSON.stringify(msg)}`);
    assert.equal(msg.content, 'You said: Think about it');
    assert.ok(!msg.content.includes('<think>'), 'reasoning goes to reasoning_content by default, not inline');
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.equal(typeof r.usage.completion_tokens_details?.reasoning_tokens, 'number', JSON.stringify(r.usage));
  });

  test('reasoning_effort low, stream: delta.reasoning_content before delta.content', T, async () => {
    const stream = await client.chat.completions
      .create({
        model: SONNET45,
        messages: [{ role: 'user', content: 'Think while streaming' }],
        reasoning_effort: 'low',
        stream: true,
        stream_options: { include_usage: true },
      })
      .catch((e) => assert.fail(explain(e)));
    const chunks = await collect(stream);
    const deltas = chunks.filter((c) => c.choices.length).map((c) => /** @type {any} */ (c.choices[0].delta));
    const reasoning = deltas.map((d) => d.reasoning_content ?? '').join('');
    const content = deltas.map((d) => d.content ?? '').join('');
    assert.ok(reasoning.length > 0, `no delta.reasoning_content in ${JSON.stringify(chunks.slice(0, 5))}`);
    assert.equal(content, 'You said: Think while streaming');
    const firstReasoning = deltas.findIndex((d) => d.reasoning_content);
    const firstContent = deltas.findIndex((d) => d.content);
    assert.ok(firstReasoning < firstContent, 'reasoning streams before the answer');
    assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).at(-1).choices[0].finish_reason, 'stop');
    assert.deepEqual(chunks.at(-1).choices, []);
  });

  test('stream() helper with reasoning ends with a complete finalChatCompletion()', T, async () => {
    const final = await client.chat.completions
      .stream({ model: SONNET45, messages: [{ role: 'user', content: 'helper reasoning' }], reasoning_effort: 'medium' })
      .finalChatCompletion()
      .catch((e) => assert.fail(explain(e)));
    assert.equal(final.choices[0].message.content, 'You said: helper reasoning');
    assert.equal(final.choices[0].finish_reason, 'stop');
  });

  test('a small task call (max_tokens 50) with reasoning_effort is not broken by thinking', T, async () => {
    const r = await client.chat.completions
      .create({
        model: SONNET45,
        messages: [{ role: 'user', content: 'Title: cats' }],
        max_tokens: 50,
        reasoning_effort: 'high',
        temperature: 0.2,
      })
      .catch((e) => assert.fail(explain(e)));
    assert.ok(r.choices[0].message.content, JSON.stringify(r.choices[0]));
    assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  });

  test('thinking + tool use over several turns (client does not send reasoning back)', T, async () => {
    const messages = [{ role: 'user', content: 'Weather in Kyoto?' }];
    const r1 = await client.chat.completions
      .create({ model: SONNET45, messages, tools: [weatherTool], reasoning_effort: 'low' })
      .catch((e) => assert.fail(`turn 1: ${explain(e)}`));
    const m1 = r1.choices[0].message;
    assert.equal(r1.choices[0].finish_reason, 'tool_calls', JSON.stringify(r1.choices[0]));
    assert.ok(/** @type {any} */ (m1).reasoning_content, `turn 1 did not think: ${JSON.stringify(m1)}`);
    messages.push(
      { role: 'assistant', content: m1.content, tool_calls: m1.tool_calls },
      { role: 'tool', tool_call_id: m1.tool_calls[0].id, content: 'rainy, 14°C' },
    );
    const r2 = await client.chat.completions
      .create({ model: SONNET45, messages, tools: [weatherTool], reasoning_effort: 'low' })
      .catch((e) => assert.fail(`turn 2: ${explain(e)}`));
    assert.equal(r2.choices[0].message.content, 'The tool returned: rainy, 14°C');
    messages.push(r2.choices[0].message, { role: 'user', content: 'And in Osaka?' });
    const s3 = client.chat.completions.stream({ model: SONNET45, messages, tools: [weatherTool], reasoning_effort: 'low' });
    const r3 = await s3.finalChatCompletion().catch((e) => assert.fail(`turn 3: ${explain(e)}`));
    assert.equal(r3.choices[0].finish_reason, 'tool_calls');
  });

  test('thinking + tool use when the client sends reasoning_content back', T, async () => {
    const messages = [{ role: 'user', content: 'Weather in Nara?' }];
    const r1 = await client.chat.completions
      .create({ model: SONNET45, messages, tools: [weatherTool], reasoning_effort: 'low' })
      .catch((e) => assert.fail(`turn 1: ${explain(e)}`));
    const m1 = r1.choices[0].message;
    assert.ok(/** @type {any} */ (m1).reasoning_content, `turn 1 did not think: ${JSON.stringify(m1)}`);
    messages.push(/** @type {any} */ ({ ...m1 }), { role: 'tool', tool_call_id: m1.tool_calls?.[0]?.id ?? 'x', content: 'clear' });
    const r2 = await client.chat.completions
      .create({ model: SONNET45, messages, tools: [weatherTool], reasoning_effort: 'low' })
      .catch((e) => assert.fail(`turn 2: ${explain(e)}`));
    assert.equal(r2.choices[0].message.content, 'The tool returned: clear');
  });
});
