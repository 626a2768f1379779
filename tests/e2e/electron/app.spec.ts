import { _electron as electron, expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');

test('the desktop window is hardened and the UI talks through window.fanout', async () => {
  const userData = await mkdtemp(join(tmpdir(), 'fanout-electron-'));
  const app = await electron.launch({ args: [ROOT], env: { ...process.env, FANOUT_USER_DATA: userData } });
  try {
    await expect.poll(() => app.evaluate(() => (globalThis as { __fanoutReady?: boolean }).__fanoutReady === true)).toBe(true);
    const page = await app.firstWindow();
    await expect(page.locator('body[data-ready="1"]')).toBeAttached();
    expect(page.url()).toBe('app://fanout/index.html');

    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const wc = BrowserWindow.getAllWindows()[0]!.webContents;
      const p = (wc as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
      return { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration, webviewTag: p.webviewTag };
    });
    expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false });

    // The renderer has no Node and only the narrow API.
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
    const methods = await page.evaluate(() => Object.keys((globalThis as unknown as { fanout: object }).fanout).sort());
    expect(methods).toContain('startJob');
    expect(methods).not.toContain('invoke');
    const info = await page.evaluate(() => (globalThis as unknown as { fanout: { appInfo(a: object): Promise<{ host: string }> } }).fanout.appInfo({}));
    expect(info.host).toBe('electron');

    // A bad payload is rejected in main with a clear message.
    const err = await page.evaluate(() =>
      (globalThis as unknown as { fanout: { pauseJob(a: unknown): Promise<void> } }).fanout.pauseJob({ jobId: 42 }).then(() => 'ok', (e: Error) => e.message),
    );
    expect(err).toContain('Invalid request for "job:pause"');

    // Navigation away and new windows are denied.
    await page.evaluate(() => {
      const w = globalThis as unknown as { open(u: string): void; location: { href: string } };
      w.open('https://example.com/');
      w.location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toBe('app://fanout/index.html');
    expect(app.windows()).toHaveLength(1);

    // The CSP header is set on our pages.
    const csp = await page.evaluate(async () => (await fetch('app://fanout/index.html')).headers.get('content-security-policy'));
    expect(csp).toContain("script-src 'self'");
  } finally {
    await app.close();
    await rm(userData, { recursive: true, force: true });
  }
});
