#!/usr/bin/env node
// Runs Electronegativity on the Electron sources and fails on any HIGH-severity finding.
// Its CLI cannot start here (it resolves the project's commander 14, not the v2 it was written
// for), so this calls its programmatic API. Usage: node build/electronegativity.mjs [--out report.csv]
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity');
const outIdx = process.argv.indexOf('--out');
const output = outIdx > 0 ? resolve(process.argv[outIdx + 1]) : undefined;

let failed = false;
// One scan of everything that runs in Electron's main and preload, so the global checks (CSP,
// navigation limits, permission handler) see main's handlers.
for (const input of ['electron']) {
  const result = await run({
    input: resolve(input),
    output: output ? output.replace(/(\.\w+)?$/, `-${input.replaceAll('/', '-')}$1`) : undefined,
    isRelative: true,
    severitySet: 'informational',
    confidenceSet: 'tentative',
    electronVersionOverride: '45.4.1',
    parserPlugins: ['typescript', 'jsx'],
  });
  const issues = result.issues.filter((i) => !i.manualReview || i.severity.name === 'HIGH');
  console.log(`${input}: ${result.atomicChecks} atomic + ${result.globalChecks} global checks, ${result.issues.length} findings, ${result.errors.length} parse errors`);
  for (const i of result.issues) {
    console.log(`  [${i.severity.name}/${i.confidence.name}${i.manualReview ? ', review' : ''}] ${i.id} ${i.file}:${i.location.line} ${i.shortenedURL ?? ''}`);
  }
  for (const e of result.errors) console.log(`  parse error: ${e.file ?? ''} ${e.message ?? JSON.stringify(e)}`);
  if (issues.some((i) => i.severity.name === 'HIGH')) failed = true;
}
if (failed) {
  console.error('Electronegativity: HIGH-severity findings (see above).');
  process.exit(1);
}
console.log('Electronegativity: no HIGH-severity findings.');
