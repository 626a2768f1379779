/**
 * Starts the harness's latency proxy in a child process. Relaying hundreds of MB in the
 * benchmark's own event loop would charge that CPU to Fanout (and not to the peer tools it is
 * compared with), so benchmarks always run the proxy apart.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TcpProxyOptions } from '../tests/harness/tcp-proxy';

export interface ProxyProcess {
  port: number;
  stop(): void;
}

export async function startProxyProcess(opts: TcpProxyOptions): Promise<ProxyProcess> {
  const script = fileURLToPath(new URL('./proxy-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('proxy did not start within 20 s')), 20_000);
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(d.toString().trim()));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code}`));
    });
  });
  return { port, stop: () => child.kill('SIGTERM') };
}
