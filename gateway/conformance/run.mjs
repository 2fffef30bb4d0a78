// npm test: build the gateway once, then run every test file with node's built-in runner, one file at a time (each
// file starts its own gateway from that binary). Extra arguments go to node --test, e.g.
//   npm test -- --test-name-pattern=embeddings        npm test -- test/errors.test.mjs
// GATEWAY_BIN=<path> uses a prebuilt binary instead of building one.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGateway } from './test/helpers/gateway.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-gateway-conformance-'));
let code = 1;
try {
  let bin = process.env.GATEWAY_BIN; // a prebuilt binary, if given
  if (!bin) {
    const started = Date.now();
    try {
      bin = buildGateway(tmp);
    } catch {
      console.error('conformance: go build of ./gateway/cmd/bedrock-gateway failed (output above)');
      process.exit(1);
    }
    console.log(`built ${bin} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  const args = process.argv.slice(2);
  let files = args.filter((a) => a.endsWith('.mjs'));
  const opts = args.filter((a) => !a.endsWith('.mjs'));
  if (files.length === 0) {
    files = fs
      .readdirSync(path.join(here, 'test'))
      .filter((f) => f.endsWith('.test.mjs'))
      .sort()
      .map((f) => path.join('test', f));
  }
  const child = spawn(
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-reporter=spec', ...opts, ...files],
    { cwd: here, stdio: 'inherit', env: { ...process.env, GATEWAY_BIN: bin } },
  );
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
