import type { LabKind } from '../../../../shared/ipc';
import { downloadBlob } from '../../lib/download';
import { exportName, type LabFileSet } from '../../lib/lab-results';

const TYPES = { csv: 'text/csv', svg: 'image/svg+xml', json: 'application/json' } as const;

/** Export buttons: lab.csv, lab.svg and lab.json as `fanout lab` writes them (and a PNG of the chart where there is one). */
export function LabExports({ kind, files, png }: { kind: LabKind; files: LabFileSet; png?: (() => void) | null }) {
  const save = (ext: keyof typeof TYPES) => downloadBlob(exportName(kind, ext), new Blob([files[ext]], { type: TYPES[ext] }));
  return (
    <span className="lab-exports">
      <button data-testid="lab-csv" onClick={() => save('csv')}>Export CSV</button>
      <button data-testid="lab-svg" onClick={() => save('svg')}>Export SVG</button>
      <button data-testid="lab-json" onClick={() => save('json')}>Export JSON</button>
      {png !== undefined && <button data-testid="lab-png" disabled={!png} onClick={() => png?.()}>Export PNG</button>}
    </span>
  );
}

/** The notes, in the words the CLI prints them. */
export function LabNotes({ notes, testId = 'lab-notes' }: { notes: readonly string[]; testId?: string }) {
  if (notes.length === 0) return null;
  return <ul className="lab-notes" data-testid={testId}>{notes.map((n) => <li key={n}>{n}</li>)}</ul>;
}
