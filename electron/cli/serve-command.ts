import type { Command } from 'commander';
import { serve } from '../web-host/serve';

/**
 * `fanout serve [--port P] [--data-dir D]`: the desktop UI in a browser, for headless machines.
 * Listens on 127.0.0.1 only and prints a URL carrying a random access token.
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the Fanout UI to a browser on 127.0.0.1 (prints a URL with an access token)')
    .option('-p, --port <port>', 'port to listen on (0 = any free port)', '5757')
    .option('--data-dir <dir>', 'where history and settings are kept (default: $FANOUT_DATA_DIR or ~/.fanout)')
    .action(async (o: { port: string; dataDir?: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        program.error(`--port must be a number from 0 to 65535, not "${o.port}"`);
      }
      const { web, host } = await serve({ port, dataDir: o.dataDir, token: process.env.FANOUT_SERVE_TOKEN });
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
