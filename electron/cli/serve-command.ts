import type { Command } from 'commander';
import { checkOutputFolder } from '../engine/inputs/file-checks';
import { exitOnProblems, intOption } from './cli-validation';

/** Why a port cannot be listened on, in words, or null for errors that are not about the port. */
function portProblem(err: unknown): string | null {
  const code = (err as { code?: unknown })?.code;
  if (code === 'EADDRINUSE') return 'is already in use (another fanout serve?); choose another with --port, or --port 0 for any free port';
  if (code === 'EACCES') return 'needs more privileges to listen on; use a port above 1023, or --port 0 for any free port';
  return null;
}

/**
 * `fanout serve [--port P] [--data-dir D]`: the desktop UI in a browser, for headless machines.
 * Listens on 127.0.0.1 only and prints a URL carrying a random access token.
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the Fanout UI to a browser on 127.0.0.1 (prints a URL with an access token)')
    .option('-p, --port <port>', 'port to listen on (0 = any free port)', intOption(0, 65535), 5757)
    .option('--data-dir <dir>', 'where history and settings are kept (default: $FANOUT_DATA_DIR or ~/.fanout)')
    .action(async (o: { port: number; dataDir?: string }) => {
      // The default one too ($FANOUT_DATA_DIR, else ~/.fanout): a HOME this user may not write (a
      // service account's /nonexistent) served the page with every save failing (history,
      // settings, saved passwords, downloaded catalogs), said only after each job.
      const { defaultDataDir } = await import('../engine/jobs/data-dir');
      const dataDir = o.dataDir ?? defaultDataDir();
      const problem = await checkOutputFolder(dataDir);
      const field = o.dataDir !== undefined ? '--data-dir' : process.env.FANOUT_DATA_DIR !== undefined ? 'FANOUT_DATA_DIR' : 'data folder';
      const message = problem && o.dataDir === undefined ? `${problem} (it keeps the history, settings and saved passwords; --data-dir or FANOUT_DATA_DIR names another)` : problem;
      exitOnProblems(message ? [{ field, value: dataDir, message }] : []);
      // The whole engine comes with the host: loaded only when serving, not for `--help`.
      const { serve } = await import('../web-host/serve');
      let started: Awaited<ReturnType<typeof serve>>;
      try {
        started = await serve({ port: o.port, dataDir: o.dataDir, token: process.env.FANOUT_SERVE_TOKEN });
      } catch (err) {
        const problem = portProblem(err);
        if (!problem) throw err;
        exitOnProblems([{ field: '--port', value: String(o.port), message: problem }]);
        throw err;
      }
      const { web, host } = started;
      process.stdout.write(`Fanout is running. Open this URL in a browser (it carries the access token):\n\n    ${web.url}\n\nPress Ctrl+C to stop.\n`);
      let stopping = false;
      const stop = () => {
        if (stopping) process.exit(1);
        stopping = true;
        void (async () => {
          await host.shutdown();
          await web.close();
          process.exit(0);
        })();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
