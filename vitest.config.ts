import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    // Real servers and worker pools: give them room, but every test bounds its own loops too.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Tests never touch the user's ~/.fanout: what the CLI and hosts learn (ftp-hosts.json, settings)
    // goes to a fresh folder per run.
    env: { FANOUT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'fanout-test-data-')) },
  },
});
