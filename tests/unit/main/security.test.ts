import { describe, expect, it } from 'vitest';
import { APP_ORIGIN, buildCsp, buildWindowOptions, isAllowedNavigation, isPermissionAllowed, isSafeExternalUrl, isTrustedSenderUrl, resolveAppUrl } from '../../../electron/main/security';
import { webHostCsp } from '../../../electron/web-host/web-host';

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));
}

describe('BrowserWindow options', () => {
  const prefs = buildWindowOptions('/app/out/preload/index.cjs').webPreferences!;
  it('isolates and sandboxes the renderer', () => {
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.experimentalFeatures).toBe(false);
    expect(prefs.enableBlinkFeatures).toBeUndefined();
    expect(prefs.preload).toBe('/app/out/preload/index.cjs');
  });
});

describe('CSP', () => {
  for (const [name, csp] of [['electron', buildCsp()], ['web host', webHostCsp(5757)]] as const) {
    it(`${name}: only our own scripts, no eval, no inline script, no plugins, no framing`, () => {
      const d = directives(csp);
      expect(d.get('default-src')).toEqual(["'self'"]);
      expect(d.get('script-src')).toEqual(["'self'"]);
      expect(d.get('object-src')).toEqual(["'none'"]);
      expect(d.get('base-uri')).toEqual(["'none'"]);
      expect(d.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp).not.toMatch(/unsafe-eval|\*(?!:)|https?:\/\/(?!127\.0\.0\.1)/);
    });
  }
  it('web host: connects only back to itself on loopback', () => {
    expect(directives(webHostCsp(5757)).get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:5757']);
  });
  it('is one policy: the web host adds only its WebSocket to the app\'s (fonts, frames and workers included)', () => {
    const app = directives(buildCsp());
    const web = directives(webHostCsp(5757));
    expect([...web.keys()]).toEqual([...app.keys()]);
    for (const [k, v] of app) if (k !== 'connect-src') expect(web.get(k), k).toEqual(v);
    expect(web.get('font-src')).toEqual(["'self'"]);
    expect(web.get('frame-src')).toEqual(["'none'"]);
    expect(web.get('worker-src')).toEqual(["'none'"]);
  });
});

describe('navigation, senders, permissions', () => {
  it('allows only app://fanout pages', () => {
    expect(isAllowedNavigation(`${APP_ORIGIN}/index.html`)).toBe(true);
    for (const bad of ['https://evil.example/', 'file:///etc/passwd', 'app://other/index.html', 'javascript:alert(1)', 'data:text/html,x', 'not a url', 'http://fanout/']) {
      expect(isAllowedNavigation(bad)).toBe(false);
      expect(isTrustedSenderUrl(bad)).toBe(false);
    }
    expect(isTrustedSenderUrl(undefined)).toBe(false);
  });
  it('opens only plain web links externally', () => {
    expect(isSafeExternalUrl('https://www.gutenberg.org/')).toBe(true);
    expect(isSafeExternalUrl('file:///etc/passwd')).toBe(false);
    expect(isSafeExternalUrl('smb://host/share')).toBe(false);
    expect(isSafeExternalUrl('https://user:pw@host/')).toBe(false);
  });
  it('denies every permission', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) expect(isPermissionAllowed(p)).toBe(false);
  });
  it('serves app:// only from inside the renderer folder', () => {
    expect(resolveAppUrl('/r', 'app://fanout/')).toBe('/r/index.html');
    expect(resolveAppUrl('/r', 'app://fanout/assets/x.js')).toBe('/r/assets/x.js');
    expect(resolveAppUrl('/r', 'app://other/x.js')).toBeNull();
    expect(resolveAppUrl('/r', 'file:///etc/passwd')).toBeNull();
    expect(resolveAppUrl('/r', 'app://fanout/%00')).toBeNull();
    expect(resolveAppUrl('/r', 'app://fanout/a%5c..%5c..%5cx')).toBeNull();
    for (const evil of ['app://fanout/../../etc/passwd', 'app://fanout/%2e%2e/%2e%2e/etc/passwd', 'app://fanout/a/..%2f..%2fx']) {
      const r = resolveAppUrl('/r', evil);
      expect(r === null || r.startsWith('/r/')).toBe(true);
    }
  });
});
