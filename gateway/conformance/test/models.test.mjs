// Model catalogue through the SDK: models.list (paged iteration) and models.retrieve, including ARN ids.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP_PROFILE, APP_PROFILE_ARN, COHERE_ML, HAIKU, SONNET45, T, TITAN_V2, startGateway } from './helpers/gateway.mjs';

describe('models', () => {
  let gw, client;
  before(async () => {
    gw = await startGateway();
    client = gw.client();
  });
  after(() => gw?.stop());

  test('models.list iterates the catalogue: base models, system and application profiles, embedding models', T, async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    const ids = models.map((m) => m.id);
    for (const want of [HAIKU, SONNET45, APP_PROFILE, COHERE_ML, TITAN_V2]) {
      assert.ok(ids.includes(want), `models.list lacks ${want}; got ${JSON.stringify(ids)}`);
    }
    assert.equal(new Set(ids).size, ids.length, `duplicate ids in ${JSON.stringify(ids)}`);
    assert.ok(!ids.some((id) => id.startsWith('arn:')), `application profiles must be listed by name, not ARN: ${ids}`);
    for (const m of models) {
      assert.equal(m.object, 'model', JSON.stringify(m));
      assert.equal(typeof m.created, 'number', JSON.stringify(m));
      assert.equal(typeof m.owned_by, 'string', JSON.stringify(m));
    }
  });

  test('models.retrieve of an application inference profile ARN', T, async () => {
    const m = await client.models.retrieve(APP_PROFILE_ARN);
    assert.equal(m.object, 'model');
    assert.ok([APP_PROFILE, APP_PROFILE_ARN].includes(m.id), `id ${m.id}`);
  });

  test('models.retrieve of a system-defined inference profile ARN and of a base model id', T, async () => {
    const arn = `arn:aws:bedrock:us-west-2:123456789012:inference-profile/${SONNET45}`;
    const m = await client.models.retrieve(arn);
    assert.equal(m.object, 'model');
    assert.ok([SONNET45, arn].includes(m.id), `id ${m.id}`);
    const h = await client.models.retrieve(HAIKU);
    assert.equal(h.id, HAIKU);
  });

  test('the application profile is invocable by its readable name and by its ARN', T, async () => {
    for (const model of [APP_PROFILE, APP_PROFILE_ARN]) {
      const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi profile' }] });
      assert.equal(r.choices[0].message.content, 'You said: Hi profile');
      assert.equal(r.model, model);
    }
  });
});
