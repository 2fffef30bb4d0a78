// Every error class the SDK maps, raised by the gateway: AuthenticationError, NotFoundError, BadRequestError,
// PermissionDeniedError, RateLimitError (with Retry-After), InternalServerError, and APIError mid-stream. The client
// has maxRetries 0, so each failure is seen once and fast.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import { HAIKU, T, collect, explain, rejection, startGateway } from './helpers/gateway.mjs';

/** The OpenAI error body: {"error":{"message", "type", …}} — the SDK exposes its inner object as err.error. */
function checkBody(err) {
  assert.equal(typeof err.error?.message, 'string', `error body: ${JSON.stringify(err.error)}`);
  assert.ok(err.error.message.length > 0);
  assert.equal(typeof err.error?.type, 'string', `error body: ${JSON.stringify(err.error)}`);
}

const say = (content) => ({ model: HAIKU, messages: [{ role: 'user', content }] });

describe('errors', () => {
  let gw, client;
  before(async () => {
    gw = await startGateway();
    client = gw.client();
  });
  after(() => gw?.stop());

  test('AuthenticationError: wrong API key (models.list, chat, embeddings)', T, async () => {
    const bad = gw.client({ apiKey: 'sk-wrong' });
    for (const [what, call] of [
      ['models.list', () => bad.models.list()],
      ['chat', () => bad.chat.completions.create(say('hi'))],
      ['embeddings', () => bad.embeddings.create({ model: 'cohere.embed-multilingual-v3', input: 'x' })],
    ]) {
      const err = await rejection(call, what);
      assert.ok(err instanceof AuthenticationError, `${what}: ${explain(err)}`);
      assert.equal(err.status, 401);
      checkBody(err);
    }
  });

  test('NotFoundError: unknown model (chat, stream, models.retrieve)', T, async () => {
    const body = { model: 'no-such-model-v9', messages: [{ role: 'user', content: 'hi' }] };
    for (const [what, call] of [
      ['chat', () => client.chat.completions.create(body)],
      ['stream', async () => collect(await client.chat.completions.create({ ...body, stream: true }))],
      ['models.retrieve', () => client.models.retrieve('no-such-model-v9')],
    ]) {
      const err = await rejection(call, what);
      assert.ok(err instanceof NotFoundError, `${what}: ${explain(err)}`);
      checkBody(err);
    }
  });

  test('BadRequestError: Bedrock ValidationException, non-stream and stream', T, async () => {
    const err = await rejection(() => client.chat.completions.create(say('x [[emulate:error=ValidationException]]')));
    assert.ok(err instanceof BadRequestError, explain(err));
    checkBody(err);
    const err2 = await rejection(async () =>
      collect(await client.chat.completions.create({ ...say('x [[emulate:error=ValidationException]]'), stream: true })),
    );
    assert.ok(err2 instanceof BadRequestError, explain(err2));
  });

  test('BadRequestError: malformed requests (no messages, bad role, bad tool arguments JSON)', T, async () => {
    const cases = {
      'no messages': { model: HAIKU },
      'bad role': { model: HAIKU, messages: [{ role: 'wizard', content: 'x' }] },
      'tool arguments not JSON': {
        model: HAIKU,
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{not json' } }] },
          { role: 'tool', tool_call_id: 'c1', content: 'r' },
        ],
      },
    };
    for (const [what, body] of Object.entries(cases)) {
      const err = await rejection(() => client.chat.completions.create(/** @type {any} */ (body)), what);
      assert.ok(err instanceof BadRequestError, `${what}: ${explain(err)}`);
      checkBody(err);
    }
  });

  test('PermissionDeniedError: AccessDeniedException', T, async () => {
    const err = await rejection(() => client.chat.completions.create(say('x [[emulate:error=AccessDeniedException]]')));
    assert.ok(err instanceof PermissionDeniedError, explain(err));
    assert.equal(err.status, 403);
    checkBody(err);
  });

  test('RateLimitError with Retry-After: throttling (chat, stream, embeddings)', T, async () => {
    for (const [what, call] of [
      ['chat', () => client.chat.completions.create(say('x [[emulate:throttle]]'))],
      ['stream', async () => collect(await client.chat.completions.create({ ...say('x [[emulate:throttle]]'), stream: true }))],
      ['embeddings', () => client.embeddings.create({ model: 'cohere.embed-multilingual-v3', input: ['x [[emulate:throttle]]'] })],
    ]) {
      const err = await rejection(call, what);
      assert.ok(err instanceof RateLimitError, `${what}: ${explain(err)}`);
      assert.equal(err.status, 429);
      checkBody(err);
      const retryAfter = err.headers?.get('retry-after');
      assert.ok(retryAfter != null, `${what}: no Retry-After header`);
      assert.match(retryAfter, /^\d+$/, `${what}: Retry-After ${retryAfter}`);
    }
  });

  test('InternalServerError: Bedrock InternalServerException and a dropped Converse connection', T, async () => {
    const err = await rejection(() => client.chat.completions.create(say('x [[emulate:error=InternalServerException]]')));
    assert.ok(err instanceof InternalServerError, explain(err));
    assert.ok(err.status >= 500);
    checkBody(err);
    const cut = await rejection(() => client.chat.completions.create(say('x [[emulate:cut-after=2]]')));
    assert.ok(cut instanceof InternalServerError, explain(cut));
  });

  test('mid-stream error ([[emulate:error-after=2]]): iterating the stream throws APIError after some content', T, async () => {
    const stream = await client.chat.completions.create({ ...say('one two three four five six [[emulate:error-after=2]]'), stream: true });
    const seen = [];
    const err = await rejection(async () => {
      for await (const c of stream) seen.push(c);
    }, 'iterating a stream that fails mid-way');
    assert.ok(err instanceof APIError, explain(err));
    assert.ok(typeof err.message === 'string' && err.message.length > 0);
    assert.ok(seen.some((c) => c.choices[0]?.delta?.content), 'content arrived before the error');
    assert.ok(!seen.some((c) => c.choices[0]?.finish_reason), `a failed stream must not carry a finish_reason: ${JSON.stringify(seen.at(-1))}`);
  });

  test('mid-stream error with the stream() helper: finalChatCompletion() rejects', T, async () => {
    const err = await rejection(() =>
      client.chat.completions.stream(say('one two three four five six [[emulate:error-after=2]]')).finalChatCompletion(),
    );
    assert.ok(err instanceof APIError, explain(err));
  });

  test('connection cut mid-stream ([[emulate:cut-after=2]]): the stream throws, never ends cleanly', T, async () => {
    const stream = await client.chat.completions.create({ ...say('one two three four five six [[emulate:cut-after=2]]'), stream: true });
    const seen = [];
    const err = await rejection(async () => {
      for await (const c of stream) seen.push(c);
    }, 'iterating a stream whose upstream dropped');
    assert.ok(err instanceof Error, explain(err));
    assert.ok(!seen.some((c) => c.choices[0]?.finish_reason), `a cut stream must not carry a finish_reason: ${JSON.stringify(seen.at(-1))}`);
    const err2 = await rejection(() =>
      client.chat.completions.stream(say('one two three four five six [[emulate:cut-after=2]]')).finalChatCompletion(),
    );
    assert.ok(err2 instanceof Error, explain(err2));
  });
});
