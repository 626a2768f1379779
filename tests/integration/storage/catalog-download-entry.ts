/** `downloadCatalog(mirror, { destDir })` in a process of its own (a test runs it as another user). Prints one JSON line: the path, or the error's code and message. */
import { downloadCatalog } from '../../../electron/engine/jobs/catalog-download';

const [mirror, destDir] = process.argv.slice(2) as [string, string];
const result = await downloadCatalog(mirror, { destDir }).then(
  (r) => ({ path: r.path }),
  (err: { code?: string; message?: string }) => ({ code: err.code, message: err.message }),
);
process.stdout.write(`${JSON.stringify(result)}\n`);
