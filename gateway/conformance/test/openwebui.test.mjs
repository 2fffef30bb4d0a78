// Replays of Open WebUI's own request shapes (raw fetch, as its aiohttp client sends them): the title task, a user
// chat stream with `tools: []` and include_usage, `<think>` in assistant history, and a RAG embeddings batch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { COHERE_ML, HAIKU, SONNET45, T, sseData, startGateway } from './helpers/gateway.mjs';

async function json(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    assert.fail(`status ${res.status}, not JSON: ${text.slice(0, 500)}`);
  }
}

const titlePrompt = `### Task:
Generate a concise, 3-5 word title with an emoji summarizing the chat history.
### Output:
JSON format: { "title": "your concise title here" }
### Chat History:
<chat_history>
USER: How do I bake sourdough bread?
ASSISTANT: Start with an active starter...
</chat_history>`;

describe('Open WebUI replays', () => {
  let gw;
  before(async () => {
    gw = await startGateway();
  });
  after(() => gw?.stop());

  test('GET /models: every item has id and name', T, async () => {
    const res = await gw.fetch('/models');
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.equal(body.object, 'list');
    assert.ok(body.data.length > 0);
    for (const m of body.data) assert.ok(typeof m.id === 'string' && m.id && typeof m.name === 'string', JSON.stringify(m));
  });

  for (const model of [SONNET45, HAIKU]) {
    for (const limit of ['max_tokens', 'max_completion_tokens']) {
      test(`title task on ${model}: non-stream, ${limit} 50, temperature and top_p`, T, async () => {
        const res = await gw.fetch('/chat/completions', {
          method: 'POST',
          body: JSON.stringify({
            model,
            messages: [{ role: 'user', content: titlePrompt }],
            stream: false,
            [limit]: 50,
            temperature: 0.1,
            top_p: 0.9,
          }),
        });
        const body = await json(res);
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        const c = body.choices[0];
        assert.equal(typeof c.message.content, 'string');
        assert.ok(c.message.content.length > 0);
        assert.ok(['stop', 'length'].includes(c.finish_reason), JSON.stringify(c));
      });
    }
  }

  for (const model of [HAIKU, SONNET45]) {
    test(`user chat stream on ${model}: tools [], include_usage, temperature, top_p, seed, penalties`, T, async () => {
      const res = await gw.fetch('/chat/completions', {
        method: 'POST',
        body: JSON.stringify({
          model,
          messages: [
            { role: 'system', content: 'You are a helpful assistant.' },
            { role: 'user', content: 'Tell me about otters' },
          ],
          stream: true,
          stream_options: { include_usage: true },
          tools: [],
          temperature: 0.8,
          top_p: 0.9,
          seed: 7,
          frequency_penalty: 0,
          presence_penalty: 0,
        }),
      });
      const text = await res.text();
      assert.equal(res.status, 200, text.slice(0, 1000));
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(res.headers.get('content-length'), null);
      for (const line of text.split('\n')) assert.ok(line.length < 128 * 1024, 'SSE line over 128 KiB');
      const data = sseData(text);
      assert.equal(data.at(-1), '[DONE]', `stream does not end with [DONE]: ${text.slice(-300)}`);
      const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
      assert.ok(!chunks.some((c) => c.error), `error chunk: ${text.slice(0, 1000)}`);
      const content = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      assert.equal(content, 'You said: Tell me about otters');
      assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).at(-1)?.choices[0].finish_reason, 'stop');
      assert.deepEqual(chunks.at(-1).choices, []);
      assert.ok(chunks.at(-1).usage.total_tokens > 0);
    });
  }

  test('<think>…</think> in assistant history is accepted and stripped before Bedrock', T, async () => {
    const reasoning = 'Let me think about the scattering of light by molecules. '.repeat(80);
    const history = (assistant) => [
      { role: 'user', content: 'Why is the sky blue?' },
      { role: 'assistant', content: assistant },
      { role: 'user', content: 'Explain more' },
    ];
    const ask = async (assistant, stream) => {
      const res = await gw.fetch('/chat/completions', {
        method: 'POST',
        body: JSON.stringify({ model: SONNET45, messages: history(assistant), stream, ...(stream ? { stream_options: { include_usage: true } } : {}) }),
      });
      const text = await res.text();
      assert.equal(res.status, 200, text.slice(0, 1000));
      if (!stream) return JSON.parse(text);
      const chunks = sseData(text).filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
      assert.ok(!chunks.some((c) => c.error), text.slice(0, 1000));
      return { content: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), usage: chunks.at(-1).usage };
    };
    const withThink = await ask(`<think>\n${reasoning}\n</think>\nRayleigh scattering.`, false);
    const plain = await ask('Rayleigh scattering.', false);
    assert.equal(withThink.choices[0].message.content, 'You said: Explain more');
    // The emulator counts one input token per 4 bytes: the ~4,600-byte block would add ~1,150 tokens. Allow for the
    // whitespace around it.
    assert.ok(
      withThink.usage.prompt_tokens - plain.usage.prompt_tokens <= 2,
      `the <think> block reached Bedrock: prompt_tokens ${withThink.usage.prompt_tokens} with it vs ${plain.usage.prompt_tokens} without`,
    );
    const streamed = await ask(`<think>${reasoning}</think>Rayleigh scattering.`, true);
    assert.equal(streamed.content, 'You said: Explain more');
  });

  test('RAG embeddings batch of 50 texts: data[] in input order', T, async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `Chunk ${i}: ${'lorem ipsum dolor sit amet '.repeat((i % 5) + 1)}`);
    const res = await gw.fetch('/embeddings', { method: 'POST', body: JSON.stringify({ input: texts, model: COHERE_ML }) });
    const body = await json(res);
    assert.equal(res.status, 200, JSON.stringify(body).slice(0, 1000));
    assert.equal(body.data.length, 50);
    body.data.forEach((d, i) => {
      assert.equal(d.index, i);
      assert.ok(Array.isArray(d.embedding), 'float by default');
      assert.equal(d.embedding.length, 1024);
    });
    for (const i of [0, 1, 24, 49]) {
      const one = await json(await gw.fetch('/embeddings', { method: 'POST', body: JSON.stringify({ input: [texts[i]], model: COHERE_ML }) }));
      assert.deepEqual(one.data[0].embedding, body.data[i].embedding, `data[${i}] is not the embedding of text ${i}`);
    }
  });
});
