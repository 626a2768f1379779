import { defineConfig } from '@playwright/test';

/**
 * The Electron suite (`_electron.launch`). Not part of the default run: it needs the Electron
 * binary, which cannot be downloaded everywhere. Run: `npm run build && npx playwright test -c playwright.electron.config.ts`.
 */
export default defineConfig({
  testDir: 'tests/e2e/electron',
  outputDir: 'test-results/electron',
  workers: 1,
  timeout: 60_000,
  reporter: [['list']],
});
