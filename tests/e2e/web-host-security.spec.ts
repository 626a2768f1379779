import { expect, test } from './support/fixtures';

test('the web host refuses requests without the token', async ({ env, request }) => {
  const res = await request.get(`${env.serve.origin}/`);
  expect(res.status()).toBe(403);
  const asset = await request.get(`${env.serve.origin}/index.html?token=wrong`);
  expect(asset.status()).toBe(403);
});

test('the page is served with a strict CSP and the WebSocket validates every message', async ({ app: page, env }) => {
  const res = await page.request.get(env.serve.url);
  const csp = res.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-eval');
  expect(res.headers()['x-frame-options']).toBe('DENY');

  const replies = await page.evaluate(async () => {
    const host = (globalThis as unknown as { location: { host: string } }).location.host;
    const ws = new WebSocket(`ws://${host}/ws`);
    const got: unknown[] = [];
    await new Promise((r) => (ws.onopen = r));
    ws.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data)) as { t: string };
      if (m.t === 'reply') got.push(m);
    };
    ws.send('not json');
    ws.send(JSON.stringify({ t: 'call', id: 1, cmd: 'job:start', arg: { spec: { kind: 'gutenberg', catalog: '', mirror: 'gopher://x', outDir: '/tmp', workers: 999 } } }));
    ws.send(JSON.stringify({ t: 'call', id: 2, cmd: 'shell:exec', arg: {} }));
    ws.send(JSON.stringify({ t: 'call', id: 3, cmd: 'job:pause', arg: { jobId: 'nope' } }));
    await new Promise<void>((r) => {
      const t = setInterval(() => got.length >= 4 && (clearInterval(t), r()), 20);
    });
    ws.close();
    return got as Array<{ id: number; reply: { ok: boolean; error?: { code: string; message: string } } }>;
  });
  const byId = new Map(replies.map((r) => [r.id, r.reply]));
  expect(byId.get(-1)?.error?.code).toBe('BAD_INPUT');
  expect(byId.get(1)?.error?.code).toBe('BAD_INPUT');
  expect(byId.get(1)?.error?.message).toMatch(/job:start.*spec\.mirror.*spec\.workers/s);
  expect(byId.get(2)?.error?.message).toContain('unknown command');
  expect(byId.get(3)?.error).toMatchObject({ code: 'NO_SUCH_JOB', message: expect.stringContaining('No running job') });
});

test('a WebSocket from another origin is refused', async ({ env }) => {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(env.serve.origin).port}/ws?token=${env.serve.token}`, { headers: { Origin: 'http://evil.example' } });
  const outcome = await new Promise<string>((resolve) => {
    ws.on('open', () => resolve('open'));
    ws.on('error', () => resolve('refused'));
    ws.on('unexpected-response', () => resolve('refused'));
  });
  expect(outcome).toBe('refused');
});
