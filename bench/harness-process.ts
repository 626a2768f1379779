/**
 * Runs a harness server (the latency proxy, or Node's HTTP mirror server) in a child process.
 * Relaying or serving hundreds of MB in the benchmark's own event loop would charge that CPU to
 * Fanout, which runs in this process, and not to the peer tools it is compared with.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TcpProxyOptions } from '../tests/harness/tcp-proxy';

export interface HarnessProcess {
  port: number;
  stop(): void;
}

export type HarnessRequest = { kind: 'proxy'; options: TcpProxyOptions } | { kind: 'http'; root: string };

export async function startHarnessProcess(request: HarnessRequest): Promise<HarnessProcess> {
  const script = fileURLToPath(new URL('./harness-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${request.kind} did not start within 20 s`)), 20_000);
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(d.toString().trim()));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${request.kind} exited with ${code}`));
    });
  });
  return { port, stop: () => child.kill('SIGTERM') };
}
