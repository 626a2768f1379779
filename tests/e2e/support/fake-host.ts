import type { Page } from '@playwright/test';

/**
 * The page's host replaced (Playwright routeWebSocket) by canned replies: the real built renderer
 * served by `fanout serve`, fed host events the test writes (frames of a synthetic job). For what
 * the UI does with given frames (perf.spec.ts, live-lane-states.spec.ts), not the engine.
 * Returns a function that sends host events.
 */
export async function fakeHost(page: Page): Promise<(msg: unknown) => void> {
  let send: ((msg: unknown) => void) | null = null;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    send = (msg) => ws.send(JSON.stringify(msg));
    ws.onMessage((raw) => {
      const m = JSON.parse(String(raw)) as { id: number; cmd: string };
      const values: Record<string, unknown> = {
        'app:info': { host: 'web', version: 'perf', defaultOutDir: '/tmp', canPickFolder: false, mailAvailable: false, canStoreSecrets: false },
        'settings:get': { mirror: 'http://x/', outDir: '/tmp', workers: 16, strategy: 'queue', lastCatalog: '', mail: { host: '', user: '', tls: 'implicit', rememberPassword: false } },
        'history:list': [],
        'job:active': [],
        'lab:active': { running: [], finished: [] },
        'catalog:download-state': { running: null, last: null },
        'verify:state': { running: [], finished: [] },
      };
      ws.send(JSON.stringify({ t: 'reply', id: m.id, reply: { ok: true, value: values[m.cmd] ?? null } }));
    });
  });
  return (msg) => send!(msg);
}
