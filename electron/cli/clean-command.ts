import { readFile, mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { scrubBook } from '../engine/scrub/scrub-book';
import { createScrubPool } from '../engine/scrub/scrub-pool';
import type { ScrubResult } from '../engine/scrub/scrub-types';
import { writeFileAtomic } from '../engine/output/atomic-file';
import { EXIT } from './run-job-in-terminal';

function describeWarnings(file: string, result: ScrubResult): string | null {
  return result.warnings.length > 0 ? `${file}: ${result.warnings.join(', ')} (read as ${result.encoding})` : null;
}

export function registerCleanCommand(program: Command): void {
  program
    .command('clean')
    .description('strip the Project Gutenberg licence header and footer; print the text, or write each file into --out-dir')
    .argument('<files...>', 'Gutenberg text files (any era, UTF-8 or Latin-1, CRLF or LF)')
    .option('--out-dir <dir>', 'write each cleaned file under its own name in this folder')
    .action(async (files: string[], o: { outDir?: string }) => {
      if (!o.outDir) {
        if (files.length > 1) {
          process.stderr.write('error: several files need --out-dir\n');
          process.exit(EXIT.badInput);
        }
        const file = files[0]!;
        const result = scrubBook(await readInput(file));
        const note = describeWarnings(file, result);
        if (note) process.stderr.write(`warning: ${note}\n`);
        process.stdout.write(result.clean);
        return;
      }
      const outDir = resolve(o.outDir);
      await mkdir(outDir, { recursive: true });
      const pool = createScrubPool({ executor: 'threads', size: Math.min(files.length, Math.max(1, availableParallelism())), maxQueue: 8 });
      let failed = 0;
      try {
        await Promise.all(
          files.map(async (file) => {
            try {
              const result = await pool.scrub(await readInput(file));
              await writeFileAtomic(join(outDir, basename(file)), result.clean);
              const note = describeWarnings(file, result);
              if (note) process.stderr.write(`warning: ${note}\n`);
            } catch (err) {
              failed++;
              process.stderr.write(`error: ${file}: ${(err as Error).message}\n`);
            }
          }),
        );
      } finally {
        await pool.close();
      }
      process.stderr.write(`${files.length - failed} file(s) cleaned into ${outDir}\n`);
      if (failed > 0) process.exitCode = EXIT.failures;
    });
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
  } catch (err) {
    process.stderr.write(`error: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    process.exit(EXIT.badInput);
  }
}
