// Tool calling through the SDK: round trips (call → tool result → answer) streamed and not, parallel calls with
// dense indexes, tool_choice, `tools: []`, and a tool history sent without `tools`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HAIKU, SONNET45, T, collect, explain, startGateway, timeTool, weatherTool } from './helpers/gateway.mjs';

/** Checks one assembled tool call and returns its parsed arguments. */
function checkCall(call, name) {
  assert.equal(call.type, 'function', JSON.stringify(call));
  assert.ok(typeof call.id === 'string' && call.id.length > 0, `tool call id: ${JSON.stringify(call)}`);
  assert.equal(call.function.name, name);
  let args;
  assert.doesNotThrow(() => (args = JSON.parse(call.function.arguments)), `arguments not JSON: ${call.function.arguments}`);
  return args;
}

function checkWeatherArgs(args) {
  assert.equal(typeof args.city, 'string', JSON.stringify(args));
  assert.ok(['celsius', 'fahrenheit'].includes(args.unit), JSON.stringify(args));
}

/**
 * Checks the raw tool-call deltas of a chunk stream against the OpenAI wire contract and returns the calls assembled
 * by index: dense 0-based indexes, first fragment with id/type/name, later fragments only index + arguments.
 */
function checkToolDeltas(chunks) {
  const calls = [];
  for (const c of chunks) {
    for (const tc of c.choices[0]?.delta?.tool_calls ?? []) {
      assert.ok(Number.isInteger(tc.index) && tc.index >= 0, `bad index ${JSON.stringify(tc)}`);
      if (!calls[tc.index]) {
        assert.equal(tc.index, calls.length, `index ${tc.index} skips ahead of ${calls.length}: indexes must be dense`);
        assert.ok(tc.id, `first fragment lacks id: ${JSON.stringify(tc)}`);
        assert.equal(tc.type, 'function', `first fragment lacks type: ${JSON.stringify(tc)}`);
        assert.ok(tc.function?.name, `first fragment lacks name: ${JSON.stringify(tc)}`);
        calls[tc.index] = { id: tc.id, name: tc.function.name, args: tc.function.arguments ?? '' };
      } else {
        assert.equal(tc.id, undefined, `later fragment repeats id: ${JSON.stringify(tc)}`);
        assert.equal(tc.function?.name, undefined, `later fragment repeats name: ${JSON.stringify(tc)}`);
        calls[tc.index].args += tc.function?.arguments ?? '';
      }
    }
  }
  for (const call of calls) {
    assert.doesNotThrow(() => JSON.parse(call.args), `streamed arguments do not concatenate to JSON: ${call.args}`);
  }
  return calls;
}

describe('tools', () => {
  let gw, client;
  before(async () => {
    gw = await startGateway();
    client = gw.client();
  });
  after(() => gw?.stop());

  test('round trip non-stream: call → tool result → answer; text before the call kept', T, async () => {
    const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const r1 = await client.chat.completions.create({ model: HAIKU, messages, tools: [weatherTool] });
    const c1 = r1.choices[0];
    assert.equal(c1.finish_reason, 'tool_calls');
    assert.equal(c1.message.tool_calls?.length, 1, JSON.stringify(c1.message));
    checkWeatherArgs(checkCall(c1.message.tool_calls[0], 'get_weather'));
    assert.ok(c1.message.content && c1.message.content.length > 0, `Claude's text before the tool call was dropped: ${JSON.stringify(c1.message)}`);

    messages.push(c1.message, { role: 'tool', tool_call_id: c1.message.tool_calls[0].id, content: '18°C and sunny' });
    const r2 = await client.chat.completions.create({ model: HAIKU, messages, tools: [weatherTool] });
    assert.equal(r2.choices[0].finish_reason, 'stop');
    assert.equal(r2.choices[0].message.content, 'The tool returned: 18°C and sunny');
    assert.ok(!r2.choices[0].message.tool_calls?.length);
  });

  test('round trip streamed: stream() + finalChatCompletion(), wire-shaped tool deltas', T, async () => {
    const messages = [{ role: 'user', content: 'Weather in Oslo, streamed' }];
    const s1 = client.chat.completions.stream({ model: HAIKU, messages, tools: [weatherTool] });
    const chunks = await collect(s1);
    const final1 = await s1.finalChatCompletion();
    const streamed = checkToolDeltas(chunks);
    assert.equal(streamed.length, 1);
    const c1 = final1.choices[0];
    assert.equal(c1.finish_reason, 'tool_calls');
    assert.equal(c1.message.tool_calls.length, 1);
    checkWeatherArgs(checkCall(c1.message.tool_calls[0], 'get_weather'));
    assert.equal(c1.message.tool_calls[0].id, streamed[0].id);
    assert.ok(c1.message.content && c1.message.content.length > 0, `text before the tool call was dropped: ${JSON.stringify(c1.message)}`);

    messages.push(
      { role: 'assistant', content: c1.message.content, tool_calls: c1.message.tool_calls },
      { role: 'tool', tool_call_id: c1.message.tool_calls[0].id, content: [{ type: 'text', text: '-3°C, snow' }] },
    );
    const final2 = await client.chat.completions.stream({ model: HAIKU, messages, tools: [weatherTool] }).finalChatCompletion();
    assert.equal(final2.choices[0].finish_reason, 'stop');
    assert.equal(final2.choices[0].message.content, 'The tool returned: -3°C, snow');
  });

  test('parallel tool calls ([[emulate:tools=2]]) streamed: indexes 0 and 1, JSON arguments; then both results', T, async () => {
    const messages = [{ role: 'user', content: 'Weather and time in Rome [[emulate:tools=2]]' }];
    const stream = await client.chat.completions.create({
      model: HAIKU,
      messages,
      tools: [weatherTool, timeTool],
      parallel_tool_calls: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    const calls = checkToolDeltas(chunks);
    assert.equal(calls.length, 2, `expected 2 calls, got ${JSON.stringify(calls)}`);
    const indexes = [...new Set(chunks.flatMap((c) => (c.choices[0]?.delta?.tool_calls ?? []).map((t) => t.index)))].sort();
    assert.deepEqual(indexes, [0, 1]);
    assert.notEqual(calls[0].id, calls[1].id, 'tool call ids distinct');
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    assert.equal(finish.length, 1);
    assert.equal(finish[0].choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(chunks.at(-1).choices, []);

    messages.push(
      {
        role: 'assistant',
        content: null,
        tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } })),
      },
      { role: 'tool', tool_call_id: calls[0].id, content: 'result one' },
      { role: 'tool', tool_call_id: calls[1].id, content: 'result two' },
    );
    const r = await client.chat.completions.create({ model: HAIKU, messages, tools: [weatherTool, timeTool] });
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.equal(r.choices[0].message.content, 'The tool returned: result one; result two');
  });

  test('parallel tool calls non-stream: two calls with valid JSON arguments', T, async () => {
    const r = await client.chat.completions.create({
      model: HAIKU,
      messages: [{ role: 'user', content: 'Both please [[emulate:tools=2]]' }],
      tools: [weatherTool, timeTool],
    });
    const calls = r.choices[0].message.tool_calls ?? [];
    assert.equal(calls.length, 2, JSON.stringify(r.choices[0].message));
    for (const call of calls) checkCall(call, call.function.name);
    assert.notEqual(calls[0].id, calls[1].id);
    assert.equal(r.choices[0].finish_reason, 'tool_calls');
  });

  test('tool_choice: required, a named function, and none', T, async () => {
    const messages = [{ role: 'user', content: 'choose' }];
    const req = await client.chat.completions.create({ model: HAIKU, messages, tools: [weatherTool, timeTool], tool_choice: 'required' });
    assert.equal(req.choices[0].finish_reason, 'tool_calls');
    const named = await client.chat.completions.create({
      model: HAIKU,
      messages,
      tools: [weatherTool, timeTool],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    assert.equal(named.choices[0].message.tool_calls?.[0]?.function.name, 'get_time', JSON.stringify(named.choices[0].message));
    const none = await client.chat.completions.create({ model: HAIKU, messages, tools: [weatherTool], tool_choice: 'none' });
    assert.equal(none.choices[0].finish_reason, 'stop', `tool_choice none must not call a tool: ${JSON.stringify(none.choices[0])}`);
    assert.ok(!none.choices[0].message.tool_calls?.length);
    assert.equal(none.choices[0].message.content, 'You said: choose');
  });

  test('tools: [] means no tools (non-stream and stream)', T, async () => {
    const body = { model: HAIKU, messages: [{ role: 'user', content: 'no tools here' }], tools: [] };
    const r = await client.chat.completions.create(body).catch((e) => assert.fail(explain(e)));
    assert.equal(r.choices[0].message.content, 'You said: no tools here');
    assert.equal(r.choices[0].finish_reason, 'stop');
    const final = await client.chat.completions
      .stream(body)
      .finalChatCompletion()
      .catch((e) => assert.fail(explain(e)));
    assert.equal(final.choices[0].message.content, 'You said: no tools here');
  });

  test('tool history without `tools` in the request still works (non-stream and stream)', T, async () => {
    for (const model of [HAIKU, SONNET45]) {
      const messages = [
        { role: 'user', content: 'Weather in Lima?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [{ id: 'call_hist_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lima","unit":"celsius"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_hist_1', content: '22°C' },
        { role: 'assistant', content: 'It is 22°C in Lima.' },
        { role: 'user', content: 'Thanks, and tomorrow?' },
      ];
      const r = await client.chat.completions.create({ model, messages }).catch((e) => assert.fail(`${model}: ${explain(e)}`));
      // No tools were offered, so the reply can never be a tool call.
      assert.ok(!r.choices[0].message.tool_calls?.length, `${model}: tool call without tools offered: ${JSON.stringify(r.choices[0])}`);
      assert.equal(r.choices[0].finish_reason, 'stop', `${model}: ${JSON.stringify(r.choices[0])}`);
      assert.equal(r.choices[0].message.content, 'You said: Thanks, and tomorrow?');
      const final = await client.chat.completions
        .stream({ model, messages })
        .finalChatCompletion()
        .catch((e) => assert.fail(`${model} stream: ${explain(e)}`));
      assert.ok(!final.choices[0].message.tool_calls?.length, `${model} stream: tool call without tools offered: ${JSON.stringify(final.choices[0])}`);
      assert.equal(final.choices[0].message.content, 'You said: Thanks, and tomorrow?');
    }
  });
});
