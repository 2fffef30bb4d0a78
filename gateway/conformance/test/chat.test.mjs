// Chat completions through the SDK: non-stream, the stream() helper with finalChatCompletion(), raw chunk streams
// with include_usage, images, temperature+top_p on Claude Sonnet 4.5, and fields that cannot map.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BadRequestError } from 'openai';
import { HAIKU, NOVA_MICRO, PNG_1X1, SONNET45, T, collect, explain, rejection, startGateway } from './helpers/gateway.mjs';

const FINISH = ['stop', 'length', 'tool_calls', 'content_filter'];

describe('chat', () => {
  let gw, client;
  before(async () => {
    gw = await startGateway();
    client = gw.client();
  });
  after(() => gw?.stop());

  test('non-stream create', T, async () => {
    const r = await client.chat.completions.create({
      model: HAIKU,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello gateway' },
      ],
    });
    assert.equal(r.object, 'chat.completion');
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.model, HAIKU);
    assert.equal(typeof r.created, 'number');
    assert.equal(r.choices.length, 1);
    const c = r.choices[0];
    assert.equal(c.index, 0);
    assert.equal(c.finish_reason, 'stop');
    assert.equal(c.message.role, 'assistant');
    assert.equal(c.message.content, 'You said: Hello gateway');
    assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0, JSON.stringify(r.usage));
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  test('stream() helper: content events and finalChatCompletion()', T, async () => {
    const stream = client.chat.completions.stream({
      model: HAIKU,
      messages: [{ role: 'user', content: 'one two three four' }],
    });
    let text = '';
    stream.on('content', (delta) => (text += delta));
    const final = await stream.finalChatCompletion();
    assert.equal(final.choices[0].message.content, 'You said: one two three four');
    assert.equal(final.choices[0].finish_reason, 'stop');
    assert.equal(final.choices[0].message.role, 'assistant');
    assert.equal(text, 'You said: one two three four');
    assert.equal(await stream.finalContent(), 'You said: one two three four');
  });

  test('create({stream:true, stream_options:{include_usage:true}}): consistent chunks, finish chunk, usage chunk last', T, async () => {
    const stream = await client.chat.completions.create({
      model: HAIKU,
      messages: [{ role: 'user', content: 'stream me please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    assert.ok(chunks.length >= 3, `only ${chunks.length} chunks`);
    const { id, created, model } = chunks[0];
    assert.match(id, /^chatcmpl-/);
    assert.equal(model, HAIKU);
    for (const c of chunks) {
      assert.equal(c.object, 'chat.completion.chunk');
      assert.deepEqual([c.id, c.created, c.model], [id, created, model], 'id, created and model identical in every chunk');
    }
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, [], 'usage chunk has empty choices');
    assert.ok(last.usage, 'usage chunk carries usage');
    assert.ok(last.usage.prompt_tokens > 0 && last.usage.completion_tokens > 0, JSON.stringify(last.usage));
    assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
    for (const c of chunks.slice(0, -1)) assert.ok(c.usage == null, `usage only on the last chunk: ${JSON.stringify(c)}`);

    const withChoices = chunks.filter((c) => c.choices.length > 0);
    const finishes = withChoices.filter((c) => c.choices[0].finish_reason != null);
    assert.equal(finishes.length, 1, 'exactly one chunk sets finish_reason');
    assert.equal(finishes[0], withChoices.at(-1), 'the finish chunk is the last chunk with choices');
    assert.equal(finishes[0].choices[0].finish_reason, 'stop');
    const roles = withChoices.filter((c) => c.choices[0].delta.role !== undefined);
    assert.equal(roles.length, 1, 'role in one delta only');
    assert.equal(roles[0], withChoices[0], 'role in the first delta');
    assert.equal(roles[0].choices[0].delta.role, 'assistant');
    const text = withChoices.map((c) => c.choices[0].delta.content ?? '').join('');
    assert.equal(text, 'You said: stream me please');
  });

  test('stream without include_usage has no usage chunk', T, async () => {
    const stream = await client.chat.completions.create({
      model: HAIKU,
      messages: [{ role: 'user', content: 'no usage' }],
      stream: true,
    });
    const chunks = await collect(stream);
    assert.ok(chunks.every((c) => c.choices.length === 1), 'every chunk has its choice');
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
  });

  test('max_tokens cut is finish_reason length (stream and non-stream)', T, async () => {
    const messages = [{ role: 'user', content: 'a b c d e f g h [[emulate:stop=max_tokens]]' }];
    const r = await client.chat.completions.create({ model: HAIKU, messages, max_tokens: 100 });
    assert.equal(r.choices[0].finish_reason, 'length');
    const final = await client.chat.completions.stream({ model: HAIKU, messages, max_tokens: 100 }).finalChatCompletion();
    assert.equal(final.choices[0].finish_reason, 'length');
  });

  test('image (data: URL png) to Claude 3 Haiku, stream and non-stream', T, async () => {
    const messages = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this image?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1X1}` } },
        ],
      },
    ];
    const r = await client.chat.completions.create({ model: HAIKU, messages });
    assert.equal(r.choices[0].message.content, 'You said: What is in this image?');
    // The emulator counts an image as 100 input tokens: proof the image reached Bedrock.
    assert.ok(r.usage.prompt_tokens >= 100, `image not forwarded? usage ${JSON.stringify(r.usage)}`);
    const final = await client.chat.completions.stream({ model: HAIKU, messages }).finalChatCompletion();
    assert.equal(final.choices[0].message.content, 'You said: What is in this image?');
  });

  test('image to a text-only model is a BadRequestError', T, async () => {
    const err = await rejection(() =>
      client.chat.completions.create({
        model: NOVA_MICRO,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1X1}` } },
            ],
          },
        ],
      }),
    );
    assert.ok(err instanceof BadRequestError, explain(err));
  });

  test('temperature + top_p together on Claude Sonnet 4.5 succeed (non-stream and stream)', T, async () => {
    const body = {
      model: SONNET45,
      messages: [{ role: 'user', content: 'sampling both' }],
      temperature: 0.7,
      top_p: 0.9,
    };
    const r = await client.chat.completions.create(body).catch((e) => assert.fail(explain(e)));
    assert.equal(r.choices[0].message.content, 'You said: sampling both');
    const final = await client.chat.completions
      .stream(body)
      .finalChatCompletion()
      .catch((e) => assert.fail(explain(e)));
    assert.equal(final.choices[0].message.content, 'You said: sampling both');
  });

  test('fields that cannot map are accepted and ignored', T, async () => {
    const r = await client.chat.completions
      .create({
        model: HAIKU,
        messages: [
          { role: 'developer', content: [{ type: 'text', text: 'Dev rules.' }] },
          { role: 'user', content: 'ignore extras' },
        ],
        seed: 42,
        frequency_penalty: 0.5,
        presence_penalty: 0.5,
        logit_bias: { 50256: -100 },
        user: 'user-123',
        metadata: { chat_id: 'abc' },
        store: false,
        parallel_tool_calls: true,
        max_completion_tokens: 200,
        stop: ['NEVERSEEN'],
      })
      .catch((e) => assert.fail(explain(e)));
    assert.equal(r.choices[0].message.content, 'You said: ignore extras');
    assert.ok(FINISH.includes(r.choices[0].finish_reason));
  });

  test('n: 2 gives two choices or a BadRequestError, never one silent choice', T, async () => {
    let r;
    try {
      r = await client.chat.completions.create({ model: HAIKU, messages: [{ role: 'user', content: 'two please' }], n: 2 });
    } catch (e) {
      assert.ok(e instanceof BadRequestError, explain(e));
      return;
    }
    assert.equal(r.choices.length, 2, `n:2 answered with ${r.choices.length} choice(s)`);
  });
});
