/**
 * The Electron security baseline as pure functions (no `electron` runtime import), so a unit test
 * can check them: window options, the CSP, navigation and permission rules, and the app://
 * protocol's path resolution.
 */
import type { BrowserWindowConstructorOptions } from 'electron';
import { join, normalize } from 'node:path';
import { isInside } from '../engine/output/safe-path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'fanout';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * The renderer's CSP, for both hosts (Electron's app:// and `fanout serve`): only our own scripts,
 * no eval, no remote connections, no framing, no workers. `connect` adds sources the page may
 * connect to besides itself (the web host's WebSocket).
 */
export function buildCsp(connect: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // uPlot sets inline style attributes; no inline scripts are allowed.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    ["connect-src 'self'", ...connect].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
  ].join('; ');
}

export function buildWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1360,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Fanout',
    backgroundColor: '#fafafa',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      enableBlinkFeatures: undefined,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      disableBlinkFeatures: 'Auxclick',
    },
  };
}

/** Only our own pages may be loaded in the window; everything else is denied. */
export function isAllowedNavigation(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Links the user clicks may open in the system browser, but only plain web URLs. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** Whether an IPC message comes from our own top frame (sender check). */
export function isTrustedSenderUrl(url: string | undefined): boolean {
  return url !== undefined && isAllowedNavigation(url);
}

/** Every permission request (camera, notifications from the page, geolocation, ...) is denied. */
export function isPermissionAllowed(_permission: string): boolean {
  return false;
}

/** Maps app://fanout/<path> to a file inside `root`, or null (other host, traversal, NUL). */
export function resolveAppUrl(root: string, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  const rel = normalize(path === '/' || path === '' ? '/index.html' : path).replace(/^[/\\]+/, '');
  if (rel.split(/[/\\]/).includes('..')) return null;
  const full = join(root, rel);
  return isInside(root, full) ? full : null;
}
