import fs from 'node:fs';
import path from 'node:path';

/** Every file below root: relative path → bytes (empty folders listed with a trailing '/'). */
export function snapshotTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (dir: string, rel: string): void => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.length === 0 && rel !== '') out.set(rel + '/', '');
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) visit(path.join(dir, e.name), r);
      else out.set(r, fs.readFileSync(path.join(dir, e.name), 'latin1'));
    }
  };
  visit(root, '');
  return out;
}

