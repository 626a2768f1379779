/** Child side of harness-process.ts: starts one server from a JSON request, prints its port, runs until SIGTERM. */
import { startHttpServer } from '../tests/harness/http-server';
import { startTcpProxy } from '../tests/harness/tcp-proxy';
import type { HarnessRequest } from './harness-process';

const request = JSON.parse(process.argv[2] ?? '{}') as HarnessRequest;
const server = request.kind === 'proxy' ? await startTcpProxy(request.options) : await startHttpServer({ root: request.root });
process.stdout.write(`${server.port}\n`);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
