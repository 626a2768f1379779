import { createRequire } from 'node:module';
import type { Client as UndiciClient, buildConnector as undiciBuildConnector } from 'undici';

/**
 * The two parts of undici the mirror uses, loaded without undici's index, which also loads fetch,
 * WebSocket, cookies, the mock agent... (~100 ms against ~30 ms, measured on this machine: a
 * seventh of a one-book job's time to its first request, docs/BENCHMARKS.md "Start-up"). They
 * are the very classes the index exports (it re-exports these files). undici internals relied on:
 * the paths `lib/dispatcher/client.js` and `lib/core/connect.js` (7.30.2; check on an upgrade —
 * tests/unit/mirror/undici-parts.test.ts does).
 */
const load = createRequire(import.meta.url);

export const Client = load('undici/lib/dispatcher/client.js') as typeof UndiciClient;
export type Client = UndiciClient;
export const buildConnector = load('undici/lib/core/connect.js') as typeof undiciBuildConnector;
