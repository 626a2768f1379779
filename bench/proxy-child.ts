/** Child side of proxy-process.ts: starts one proxy from JSON options, prints its port, runs until SIGTERM. */
import { startTcpProxy, type TcpProxyOptions } from '../tests/harness/tcp-proxy';

const opts = JSON.parse(process.argv[2] ?? '{}') as TcpProxyOptions;
const proxy = await startTcpProxy(opts);
process.stdout.write(`${proxy.port}\n`);
process.on('SIGTERM', () => void proxy.stop().then(() => process.exit(0)));
