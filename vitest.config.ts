import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**', 'node_modules/**'],
    // Real servers and worker pools: give them room, but every test bounds its own loops too. A bound
    // against a hang, not a measure: tests that start the CLI from the sources (tsx) or several real
    // servers took 20-28 s at load ~14 (lab-cli, gutenberg host-limit and auto-knee, mail auto-workers)
    // and 12 s for `--help` alone at load ~24, so at CI's worst 60 s was within reach with nothing wrong.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // Tests never touch the user's ~/.fanout: what the CLI and hosts learn (ftp-hosts.json, settings)
    // goes to a fresh folder per run.
    env: { FANOUT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'fanout-test-data-')) },
  },
});
