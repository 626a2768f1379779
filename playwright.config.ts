import { defineConfig } from '@playwright/test';

/**
 * Browser e2e against `fanout serve`, in Debian's Chromium (never a downloaded browser).
 * Needs a built renderer (`npm run build`). The Electron suite has its own config
 * (playwright.electron.config.ts) and is not part of this run.
 */
export default defineConfig({
  testDir: 'tests/e2e',
  testIgnore: ['electron/**'],
  outputDir: 'test-results',
  // Two shared cores and real servers: one test at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1400, height: 1000 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    },
  },
});
