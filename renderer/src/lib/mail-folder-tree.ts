import type { MailFolderInfo } from '../../../shared/ipc';

/** One row of the folder picker: a folder at its depth in the server's hierarchy. */
export interface FolderRow {
  folder: MailFolderInfo;
  depth: number;
}

/**
 * The server's hierarchy as picker rows, depth-first (INBOX first, then by name), each folder
 * right under its parent. A parent the listing lacks (some servers list `Archive/2019` without
 * `Archive`) is added as a folder that cannot be selected, so its children never look like
 * children of whatever row comes before them.
 */
export function folderRows(folders: readonly MailFolderInfo[]): FolderRow[] {
  const byPath = new Map<string, MailFolderInfo>();
  for (const f of folders) byPath.set(f.path, f);
  const parentOf = (f: MailFolderInfo): string | null => {
    if (f.parent !== undefined) return f.parent;
    const at = f.delimiter ? f.path.lastIndexOf(f.delimiter) : -1;
    return at > 0 ? f.path.slice(0, at) : null;
  };
  // Synthesize missing ancestors.
  for (const f of [...byPath.values()]) {
    let p = parentOf(f);
    let child = f;
    while (p !== null && !byPath.has(p)) {
      const at = p.lastIndexOf(child.delimiter);
      const parent: MailFolderInfo = { path: p, name: at >= 0 ? p.slice(at + child.delimiter.length) : p, delimiter: child.delimiter, messages: 0, selectable: false, parent: at > 0 ? p.slice(0, at) : null };
      byPath.set(p, parent);
      child = parent;
      p = parentOf(parent);
    }
  }
  const children = new Map<string | null, MailFolderInfo[]>();
  for (const f of byPath.values()) {
    const p = parentOf(f);
    const key = p !== null && byPath.has(p) ? p : null;
    const list = children.get(key) ?? [];
    list.push(f);
    children.set(key, list);
  }
  const order = (a: MailFolderInfo, b: MailFolderInfo) => (a.path === 'INBOX' ? -1 : b.path === 'INBOX' ? 1 : a.name.localeCompare(b.name));
  const rows: FolderRow[] = [];
  const visit = (key: string | null, depth: number) => {
    for (const f of (children.get(key) ?? []).sort(order)) {
      rows.push({ folder: f, depth });
      visit(f.path, depth + 1);
    }
  };
  visit(null, 0);
  return rows;
}
