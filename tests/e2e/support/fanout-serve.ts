import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServeProcess {
  url: string;
  origin: string;
  token: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/**
 * Starts `fanout serve --port 0` from the sources (bin/fanout.js with FANOUT_FROM_SOURCE=1) and resolves with the URL it
 * prints. Bounded: rejects after 30 s or if the process exits first.
 */
export function startServe(opts: { dataDir: string; cwd: string; env?: Record<string, string> }): Promise<ServeProcess> {
  // `npx fanout serve`, run from the sources (bin/fanout.js → tsx) so no stale build is tested.
  const child = spawn(process.execPath, ['bin/fanout.js', 'serve', '--port', '0', '--data-dir', opts.dataDir], {
    cwd: opts.cwd,
    env: { ...process.env, FANOUT_FROM_SOURCE: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`fanout serve did not print its URL within 30 s:\n${output.join('\n')}`));
    }, 30_000);
    child.stderr!.on('data', (d: Buffer) => output.push(String(d)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fanout serve exited with ${code}:\n${output.join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/\?token=([0-9a-f]+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[0], origin: m[1]!, token: m[2]!, child, output, stop });
      }
    });
  });
}
