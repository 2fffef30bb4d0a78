// Starts and stops the real gateway binary on its built-in Bedrock emulator, and hands out clients.
//
// Every test file calls startGateway() in a before() hook and gateway.stop() in an after() hook: node --test runs
// each file in its own process, so each file gets its own gateway on its own free port. The binary is built once by
// run.mjs (GATEWAY_BIN); run a file alone (node --test test/chat.test.mjs) and this module builds it itself.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const PREFIX = '/api/v1';

// Model ids of the emulator's catalogue (region us-west-2, account 123456789012).
export const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
export const SONNET45 = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
export const NOVA_MICRO = 'amazon.nova-micro-v1:0'; // text only
export const APP_PROFILE = 'team-chat-haiku';
export const APP_PROFILE_ARN = 'arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/k7f3q9x2m4pa';
export const COHERE_ML = 'cohere.embed-multilingual-v3';
export const TITAN_V2 = 'amazon.titan-embed-text-v2:0';
export const TITAN_V1 = 'amazon.titan-embed-text-v1';

// Per-test timeout: every emulator reply takes milliseconds, so anything near this is a hang.
export const T = { timeout: 20_000 };

/** Builds the gateway into dir and returns the binary's path. */
export function buildGateway(dir) {
  const bin = path.join(dir, process.platform === 'win32' ? 'bedrock-gateway.exe' : 'bedrock-gateway');
  execFileSync('go', ['build', '-o', bin, './gateway/cmd/bedrock-gateway'], { cwd: repoRoot, stdio: 'inherit' });
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `bedrock-gateway -emulator -addr 127.0.0.1:<free port>` with API_KEY=<random> and waits for GET /health.
 * extraEnv adds gateway settings.
 */
export async function startGateway(extraEnv = {}) {
  let bin = process.env.GATEWAY_BIN;
  let ownTmp;
  if (!bin) {
    ownTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-gateway-conformance-'));
    bin = buildGateway(ownTmp);
  }
  const apiKey = 'sk-conformance-' + randomBytes(16).toString('hex');
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  // A clean environment: the host's AWS_REGION, DEFAULT_MODEL, API_KEY_SECRET_ARN, … must not change what is tested.
  const env = { API_KEY: apiKey, AWS_REGION: 'us-west-2', ...extraEnv };
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) if (process.env[k]) env[k] ??= process.env[k];

  const child = spawn(bin, ['-emulator', '-addr', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let log = '';
  const keep = (buf) => {
    log += buf.toString();
    if (log.length > 1 << 20) log = log.slice(-(1 << 19));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exitPromise = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve(exited);
    }),
  );

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`gateway exited before it was healthy (${JSON.stringify(exited)}):\n${log}`);
    try {
      const res = await fetch(`${origin}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway not healthy after 20 s:\n${log}`);
    }
    await sleep(50);
  }

  return {
    origin,
    baseURL: origin + PREFIX,
    apiKey,
    logs: () => log,
    /** An official OpenAI client for this gateway. No retries by default, so a failure shows as itself. */
    client(opts = {}) {
      return new OpenAI({ apiKey, baseURL: origin + PREFIX, maxRetries: 0, timeout: 15_000, ...opts });
    },
    /** Raw fetch against the API prefix with the bearer key (for Open WebUI request replays). */
    fetch(route, init = {}) {
      return fetch(origin + PREFIX + route, {
        ...init,
        headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
      });
    },
    async stop() {
      if (!exited) {
        // Graceful stop is not under test here, and Go's Shutdown waits up to 5 s for a connection the client opened
        // but never used: give it a second, then kill.
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 1_000);
        await exitPromise;
        clearTimeout(timer);
      }
      if (process.env.CONFORMANCE_LOGS) process.stderr.write(log);
      if (ownTmp) fs.rmSync(ownTmp, { recursive: true, force: true });
    },
  };
}

/** Describes what the gateway sent when a call failed, for assertion messages. */
export function explain(err) {
  if (err && typeof err === 'object' && 'status' in err) {
    return `${err.constructor?.name} status=${err.status} body=${JSON.stringify(err.error)}`;
  }
  return String(err?.stack ?? err);
}

/** Runs fn and returns what it threw (fails when it does not throw). */
export async function rejection(fn, what = 'the call') {
  try {
    const v = await fn();
    throw Object.assign(new Error(`${what} succeeded but must fail; it returned ${JSON.stringify(v)?.slice(0, 2000)}`), {
      _noThrow: true,
    });
  } catch (e) {
    if (e?._noThrow) throw e;
    return e;
  }
}

/** Collects every chunk of a stream (SDK Stream or ChatCompletionStream). */
export async function collect(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

/** Parses an SSE body into its data payloads (raw fetch replays). */
export function sseData(text) {
  const out = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''));
    if (data.length) out.push(data.join('\n'));
  }
  return out;
}

// A valid 1×1 PNG.
export const PNG_1X1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', description: 'City name' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city', 'unit'],
    },
  },
};

export const timeTool = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Current local time in a timezone',
    parameters: {
      type: 'object',
      properties: { timezone: { type: 'string' } },
      required: ['timezone'],
    },
  },
};
