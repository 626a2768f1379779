/**
 * Electron main: thin. One hardened window, the app:// protocol with a strict CSP, the IPC
 * contract (validated in FanoutHost, sender-checked here), native menus and dialogs, taskbar
 * progress and a notification when a job ends. All engine work goes through FanoutHost, the same
 * object the web host uses.
 */
import { BrowserWindow, Menu, Notification, app, dialog, ipcMain, net, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HEAP_FLAGS } from '../../bin/node-flags.js';
import { API_METHODS, type EventName, type Events, type Reply } from '../../shared/ipc';
import { defaultCatalogReader, defaultMailTools, defaultRunners } from '../engine/jobs/default-runners';
import { FanoutHost } from '../engine/jobs/fanout-host';
import { confirmClose } from './close-guard';
import { SecretStore } from './secrets';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, buildCsp, buildWindowOptions, isAllowedNavigation, isPermissionAllowed, isSafeExternalUrl, isTrustedSenderUrl, resolveAppUrl } from './security';

const appRoot = app.getAppPath();
const rendererDir = join(appRoot, 'out', 'renderer');
const preloadPath = join(appRoot, 'out', 'preload', 'index.cjs');

if (process.env.FANOUT_USER_DATA) app.setPath('userData', process.env.FANOUT_USER_DATA);

// bin/start.js gives this process the heap flags as --js-flags (the engine runs here, and V8 takes
// them only at start: appendSwitch from here would reach the renderers alone). Dropped before any
// window opens, so the renderers keep V8's defaults.
if (app.commandLine.getSwitchValue('js-flags') === HEAP_FLAGS.join(' ')) app.commandLine.removeSwitch('js-flags');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  const trusted = new Set<number>();

  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  // Defence in depth for every web contents, including any we did not create.
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAllowedNavigation(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isSafeExternalUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });

  app.whenReady().then(async () => {
    const dataDir = join(app.getPath('userData'), 'data');
    const secrets = new SecretStore(dataDir);
    const host = new FanoutHost({
      host: 'electron',
      version: app.getVersion(),
      dataDir,
      defaultOutDir: join(app.getPath('documents'), 'Fanout'),
      runners: defaultRunners(),
      readCatalog: defaultCatalogReader,
      mail: defaultMailTools,
      pickFolder: async ({ title, defaultPath }) => {
        const r = win
          ? await dialog.showOpenDialog(win, { title: title ?? 'Choose a folder', defaultPath, properties: ['openDirectory', 'createDirectory'] })
          : { canceled: true, filePaths: [] };
        return r.canceled ? null : (r.filePaths[0] ?? null);
      },
      openPath: async (path) => {
        const err = await shell.openPath(path);
        if (err) throw new Error(err);
      },
      ...(secrets.available ? { secrets } : {}),
    });

    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_wc, permission, cb) => cb(isPermissionAllowed(permission)));
    ses.setPermissionCheckHandler((_wc, permission) => isPermissionAllowed(permission));
    ses.webRequest.onHeadersReceived((details, cb) => {
      cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [buildCsp()], 'X-Content-Type-Options': ['nosniff'] } });
    });
    protocol.handle(APP_SCHEME, async (request) => {
      const file = resolveAppUrl(rendererDir, request.url);
      if (!file || request.method !== 'GET') return new Response('Not found', { status: 404 });
      const res = await net.fetch(pathToFileURL(file).href);
      const headers = new Headers(res.headers);
      headers.set('Content-Security-Policy', buildCsp());
      return new Response(res.body, { status: res.status, headers });
    });

    // One handler per command channel; the sender must be our own window's top frame.
    const isTrusted = (e: IpcMainInvokeEvent) => trusted.has(e.sender.id) && e.senderFrame !== null && e.senderFrame === e.sender.mainFrame && isTrustedSenderUrl(e.senderFrame.url);
    for (const channel of Object.values(API_METHODS)) {
      ipcMain.handle(channel, async (e, payload: unknown): Promise<Reply<unknown>> => {
        if (!isTrusted(e)) return { ok: false, error: { code: 'UNTRUSTED_SENDER', message: 'IPC message from an untrusted sender', retryable: false, context: {} } };
        return host.handle(channel, payload);
      });
    }

    const send = <E extends EventName>(name: E, payload: Events[E]) => {
      if (win && !win.isDestroyed()) win.webContents.send(name, payload);
    };
    host.onEvent((name, payload) => {
      send(name, payload);
      if (name !== 'job:event' || !win) return;
      const e = payload as Events['job:event'];
      if (e.kind === 'job:frame') {
        const f = e.frame;
        const total = f.itemsTotal ?? 0;
        const fraction = total > 0 ? (f.itemsDone + f.itemsFailed + f.itemsSkipped) / total : 2; // 2 = indeterminate
        win.setProgressBar(fraction, { mode: f.paused ? 'paused' : f.itemsFailed > 0 ? 'error' : 'normal' });
      } else if (e.kind === 'job:finished') {
        win.setProgressBar(-1);
        const s = e.summary;
        if (Notification.isSupported()) {
          new Notification({ title: `Fanout: job ${s.status}`, body: `${s.itemsDone} done, ${s.itemsFailed} failed, ${s.itemsSkipped} skipped` }).show();
        }
      }
    });

    Menu.setApplicationMenu(
      Menu.buildFromTemplate([
        ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
        { role: 'fileMenu' },
        { role: 'editMenu' },
        { label: 'View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
        { role: 'windowMenu' },
        { role: 'help', submenu: [{ label: 'Project Gutenberg mirrors', click: () => void shell.openExternal('https://www.gutenberg.org/MIRRORS.ALL') }] },
      ]),
    );

    // The hardening flags are repeated literally here (same values as buildWindowOptions, which the
    // unit test checks) so static scanners such as Electronegativity can see them at the call site.
    const options = buildWindowOptions(preloadPath);
    win = new BrowserWindow({
      ...options,
      webPreferences: { ...options.webPreferences, contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, disableBlinkFeatures: 'Auxclick' },
    });
    trusted.add(win.webContents.id);
    // Closing the window or quitting over a running job or lab stops it: asked once, natively.
    let closeConfirmed = false;
    const mayClose = (): boolean => {
      if (closeConfirmed) return true;
      const parent = win && !win.isDestroyed() ? win : null;
      closeConfirmed = confirmClose(host.jobs.active(), host.lab.active(), (q) => {
        const box = { type: 'question' as const, message: q.message, detail: q.detail, buttons: q.buttons, defaultId: 1, cancelId: 1, noLink: true };
        return parent ? dialog.showMessageBoxSync(parent, box) : dialog.showMessageBoxSync(box);
      });
      return closeConfirmed;
    };
    win.on('close', (event) => {
      if (!mayClose()) event.preventDefault();
    });
    win.once('ready-to-show', () => win?.show());
    win.on('closed', () => {
      win = null;
    });
    await win.loadURL(`${APP_ORIGIN}/index.html`);
    (globalThis as { __fanoutReady?: boolean }).__fanoutReady = true;

    let quitting = false;
    app.on('before-quit', (event) => {
      if (quitting) return;
      // Quit from the menu (or Cmd+Q) runs this before any window's close: ask here too.
      if (!mayClose()) {
        event.preventDefault();
        return;
      }
      quitting = true;
      event.preventDefault();
      void host.shutdown().finally(() => app.quit());
    });
  });

  app.on('window-all-closed', () => app.quit());
}

export { APP_HOST };
