import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startDovecot, type DovecotServer } from '../harness/dovecot';
import { fillMailbox } from '../harness/dovecot-fill';
import { expect, shot, test } from './support/fixtures';

const FOLDERS = [
  { path: 'INBOX', count: 30 },
  { path: 'Archive', count: 20 },
  // Its parent "Projects" is never created: a container the picker must show above it.
  { path: 'Projects/2020', count: 4 },
];

let srv: DovecotServer;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  srv = await startDovecot();
  const admin = await srv.connect();
  await fillMailbox(admin, FOLDERS);
  await admin.logout();
});

test.afterAll(async () => {
  await srv?.stop();
});

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

test('mail: test the account, pick folders, archive them with 3 connections', async ({ app: page, env }) => {
  const outDir = join(env.dir, 'mail-out');
  await page.getByTestId('nav-mail').click();
  await page.getByTestId('mail-host').fill(srv.host);
  await page.getByTestId('mail-port').fill(String(srv.port));
  await page.getByTestId('mail-tls').selectOption('none');
  await page.getByTestId('mail-user').fill(srv.user);
  await page.getByTestId('mail-password').fill(srv.password);
  await page.getByTestId('mail-test').click();
  await expect(page.getByTestId('mail-status')).toContainText('OK', { timeout: 30_000 });
  await expect(page.getByTestId('mail-folders')).toContainText('INBOX');
  await expect(page.getByTestId('mail-folders')).toContainText('Archive');
  await expect(page.getByTestId('mail-folders').locator('li[data-selectable="no"]')).toHaveText('Projects');
  await page.getByTestId('mail-connections').fill('3');
  // A disabled Start says what it waits for.
  await page.getByTestId('mail-out-dir').fill('');
  await expect(page.getByTestId('mail-start')).toBeDisabled();
  await expect(page.getByTestId('mail-start-why')).toHaveText('To start: give an output folder.');
  await page.getByTestId('mail-out-dir').fill(outDir);
  await expect(page.getByTestId('mail-start-why')).toHaveCount(0);
  await shot(page, 'mail-screen');
  await page.getByTestId('mail-start').click();
  await expect(page.getByTestId('screen-live')).toBeVisible();
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 60_000 });
  const files = await listFiles(outDir);
  expect(files.filter((f) => f.endsWith('.eml')).length).toBe(54);
  // Per-folder numbers: on server = archived before + fetched now + vanished.
  await expect(page.getByTestId('mail-folder-tallies')).toContainText('Projects/2020');
  await expect(page.getByTestId('run-header')).toContainText('adaptive');
  // Every connection ran out of work: its lane says "done" (it said "stopped", which reads like a crash).
  const laneStates = await page.getByTestId('lanes').locator('.lane-state').allTextContents();
  expect(laneStates.length).toBeGreaterThan(0);
  expect(laneStates.every((st) => st === 'done'), laneStates.join(',')).toBe(true);
  await shot(page, 'mail-live-run');

  // Back on the Mail screen to run the same job again (a new message meanwhile): the form is as it
  // was left (it used to come back empty: no password, no folders, and the default output folder,
  // so the "same" Start would have archived everything again elsewhere). The re-run fetches only the new one.
  const admin = await srv.connect();
  await admin.append('INBOX', 'From: a@example.org\r\nTo: b@example.org\r\nSubject: arrived later\r\nMessage-ID: <later-1@example.org>\r\n\r\nhello\r\n');
  await admin.logout();
  await page.getByTestId('nav-mail').click();
  await expect(page.getByTestId('mail-password')).toHaveValue(srv.password);
  await expect(page.getByTestId('mail-out-dir')).toHaveValue(outDir);
  await expect(page.getByTestId('mail-connections')).toHaveValue('3');
  await expect(page.getByTestId('mail-folders')).toContainText('Archive');
  await page.getByTestId('mail-start').click();
  await expect(page.getByTestId('run-status')).toHaveText('succeeded', { timeout: 60_000 });
  await expect(page.getByTestId('run-progress')).toHaveText('55 / 55');
  await expect(page.getByTestId('run-skipped')).toHaveText('54');
  await expect(page.getByTestId('mail-folder-tallies').locator('tr', { hasText: 'INBOX' }).locator('td')).toHaveText(['INBOX', '31', '30', '1', '0']);
  expect((await listFiles(outDir)).filter((f) => f.endsWith('.eml')).length).toBe(55);

  // History: Verify re-hashes every archived file against the indexes.
  await page.getByTestId('nav-history').click();
  await page.getByTestId('history-row').filter({ hasText: 'mail' }).first().getByTestId('history-verify').click();
  await expect(page.getByTestId('verify-summary')).toContainText('OK: 55 files re-hashed');

  // The account is remembered (host, port, TLS mode, user), the password is not (no safeStorage in the web host).
  await page.reload();
  await expect(page.locator('body[data-ready="1"]')).toBeAttached();
  await page.getByTestId('nav-mail').click();
  await expect(page.getByTestId('mail-host')).toHaveValue(srv.host);
  await expect(page.getByTestId('mail-port')).toHaveValue(String(srv.port));
  await expect(page.getByTestId('mail-tls')).toHaveValue('none');
  await expect(page.getByTestId('mail-user')).toHaveValue(srv.user);
  await expect(page.getByTestId('mail-password')).toHaveValue('');
  await expect(page.getByTestId('mail-no-secrets')).toBeVisible();
  await shot(page, 'mail-screen-remembered');
});

test('mail: a wrong password is reported by the Test button', async ({ app: page }) => {
  await page.getByTestId('nav-mail').click();
  await page.getByTestId('mail-host').fill(srv.host);
  await page.getByTestId('mail-port').fill(String(srv.port));
  await page.getByTestId('mail-tls').selectOption('none');
  await page.getByTestId('mail-user').fill(srv.user);
  await page.getByTestId('mail-password').fill('wrong-password');
  await page.getByTestId('mail-test').click();
  await expect(page.getByTestId('mail-status')).toContainText('Failed', { timeout: 30_000 });
});
