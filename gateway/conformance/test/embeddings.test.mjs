// Embeddings through the SDK: float and base64 (the SDK's default, decoded to floats), vector lengths per model,
// order preserved (including Cohere batches above 96), dimensions, text-embedding-* mapping and token-array input.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { COHERE_ML, T, TITAN_V1, TITAN_V2, explain, startGateway } from './helpers/gateway.mjs';

function checkVectors(res, n, dims) {
  assert.equal(res.object, 'list');
  assert.equal(res.data.length, n, `expected ${n} embeddings, got ${res.data.length}`);
  res.data.forEach((d, i) => {
    assert.equal(d.object, 'embedding');
    assert.equal(d.index, i, 'data[] in input order');
    assert.equal(d.embedding.length, dims, `embedding ${i} has ${d.embedding.length} values`);
    assert.ok(d.embedding.every((x) => typeof x === 'number' && Number.isFinite(x)), `embedding ${i} not finite numbers`);
  });
  assert.equal(typeof res.usage?.prompt_tokens, 'number', JSON.stringify(res.usage));
  assert.equal(typeof res.usage?.total_tokens, 'number', JSON.stringify(res.usage));
}

const close = (a, b) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= 1e-6 * Math.max(1, Math.abs(x)));

describe('embeddings', () => {
  let gw, client;
  before(async () => {
    gw = await startGateway();
    client = gw.client();
  });
  after(() => gw?.stop());

  const texts = ['first text', 'second text, longer', 'third'];

  test('float: cohere.embed-multilingual-v3 gives 1024 floats per input, in order', T, async () => {
    const res = await client.embeddings
      .create({ model: COHERE_ML, input: texts, encoding_format: 'float' })
      .catch((e) => assert.fail(explain(e)));
    checkVectors(res, 3, 1024);
    assert.equal(res.model, COHERE_ML);
  });

  test('base64 (SDK default) decodes to the same floats as encoding_format float; order follows input', T, async () => {
    const asFloat = await client.embeddings
      .create({ model: COHERE_ML, input: texts, encoding_format: 'float' })
      .catch((e) => assert.fail(explain(e)));
    const asB64 = await client.embeddings.create({ model: COHERE_ML, input: texts }).catch((e) => assert.fail(explain(e)));
    checkVectors(asB64, 3, 1024);
    for (let i = 0; i < 3; i++) {
      assert.ok(close(asB64.data[i].embedding, asFloat.data[i].embedding), `base64 embedding ${i} differs from float`);
    }
    const reversed = await client.embeddings
      .create({ model: COHERE_ML, input: [...texts].reverse() })
      .catch((e) => assert.fail(explain(e)));
    for (let i = 0; i < 3; i++) {
      assert.ok(close(reversed.data[2 - i].embedding, asFloat.data[i].embedding), `reversed input: embedding ${i} out of order`);
    }
    assert.ok(!close(asFloat.data[0].embedding, asFloat.data[1].embedding), 'different texts give different vectors');
  });

  test('explicit encoding_format base64 returns base64 of float32 little-endian', T, async () => {
    const raw = await client.embeddings
      .create({ model: COHERE_ML, input: 'one text', encoding_format: 'base64' })
      .catch((e) => assert.fail(explain(e)));
    const b64 = raw.data[0].embedding;
    assert.equal(typeof b64, 'string', 'base64 is a string on the wire');
    const buf = Buffer.from(/** @type {string} */ (b64), 'base64');
    assert.equal(buf.length, 1024 * 4);
    const floats = Array.from(new Float32Array(buf.buffer, buf.byteOffset, 1024));
    const ref = await client.embeddings.create({ model: COHERE_ML, input: 'one text', encoding_format: 'float' });
    assert.ok(close(floats, ref.data[0].embedding));
  });

  test('Titan v2 (one text per call, fanned out): 1024 by default, dimensions 256, order kept', T, async () => {
    const res = await client.embeddings.create({ model: TITAN_V2, input: texts }).catch((e) => assert.fail(explain(e)));
    checkVectors(res, 3, 1024);
    const small = await client.embeddings
      .create({ model: TITAN_V2, input: texts, dimensions: 256, encoding_format: 'float' })
      .catch((e) => assert.fail(explain(e)));
    checkVectors(small, 3, 256);
    const single = await client.embeddings.create({ model: TITAN_V2, input: texts[1] });
    assert.ok(close(single.data[0].embedding, res.data[1].embedding), 'fan-out keeps order');
  });

  test('Titan v1: 1536 floats', T, async () => {
    const res = await client.embeddings.create({ model: TITAN_V1, input: 'hello titan' }).catch((e) => assert.fail(explain(e)));
    checkVectors(res, 1, 1536);
  });

  test('Cohere batch above 96 texts keeps order', T, async () => {
    const many = Array.from({ length: 130 }, (_, i) => `document number ${i}`);
    const res = await client.embeddings.create({ model: COHERE_ML, input: many }).catch((e) => assert.fail(explain(e)));
    checkVectors(res, 130, 1024);
    const probe = await client.embeddings.create({ model: COHERE_ML, input: [many[0], many[96], many[129]] });
    assert.ok(close(probe.data[0].embedding, res.data[0].embedding), 'item 0');
    assert.ok(close(probe.data[1].embedding, res.data[96].embedding), 'item 96 (second batch)');
    assert.ok(close(probe.data[2].embedding, res.data[129].embedding), 'item 129');
  });

  test('text-embedding-3-small maps to the default embedding model (cohere.embed-multilingual-v3)', T, async () => {
    const res = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: ['mapped'] })
      .catch((e) => assert.fail(explain(e)));
    checkVectors(res, 1, 1024);
    const direct = await client.embeddings.create({ model: COHERE_ML, input: ['mapped'] });
    assert.ok(close(res.data[0].embedding, direct.data[0].embedding), 'same vector as the default model');
  });

  test('token-array inputs (what LangChain sends) are accepted', T, async () => {
    // cl100k tokens of "hello world" and "good morning".
    const res = await client.embeddings
      .create({ model: COHERE_ML, input: [[15339, 1917], [19045, 6693]] })
      .catch((e) => assert.fail(explain(e)));
    checkVectors(res, 2, 1024);
    const text = await client.embeddings.create({ model: COHERE_ML, input: ['hello world'] });
    assert.ok(close(res.data[0].embedding, text.data[0].embedding), 'tokens decode to the same text');
  });
});
