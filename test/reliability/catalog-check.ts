/**
 * The catalog check of the concurrency suite: after writers raced on a root, the catalog's answer
 * (src/catalog: `catalogSearchRuns` over `openCatalog`) must equal a full scan, for several
 * filters and orders. The catalog is loaded dynamically, so this file type-checks and runs before
 * src/catalog exists (then it reports `checked: false`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PagedList, Run } from '../../src/entities.js';
import { FileStore } from '../../src/store/file/file-store.js';

interface CatalogModule {
  openCatalog(root: string, options?: { dir?: string }): { refresh(): unknown; close(): void };
  catalogSearchRuns(
    catalog: unknown,
    store: FileStore,
    experimentIds: string[],
    options?: { filterString?: string; orderBy?: string[]; maxResults?: number; runViewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL' },
  ): PagedList<Run>;
}

const CATALOG_INDEX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/catalog/index.ts');

async function loadCatalog(): Promise<CatalogModule | string> {
  if (!fs.existsSync(CATALOG_INDEX)) return 'src/catalog/index.ts not built yet';
  const mod = (await import(/* @vite-ignore */ CATALOG_INDEX)) as Partial<CatalogModule>;
  if (typeof mod.openCatalog !== 'function' || typeof mod.catalogSearchRuns !== 'function') {
    return 'src/catalog/index.ts does not export openCatalog and catalogSearchRuns: not built yet';
  }
  return mod as CatalogModule;
}

const QUERIES: Array<{ filterString?: string; orderBy?: string[] }> = [
  {},
  { filterString: "attributes.status = 'FINISHED'" },
  { filterString: 'metrics.own > 0', orderBy: ['metrics.own DESC'] },
  { filterString: "params.w1_p0 != ''", orderBy: ['attributes.start_time ASC'] },
  { filterString: "tags.mlflow.runName LIKE 'w%'", orderBy: ['tags.mlflow.runName ASC'] },
  { orderBy: ['metrics.shared DESC', 'attributes.run_id ASC'] },
];

const ids = (p: PagedList<Run>): string[] => p.items.map((r) => r.info.runId);

/** Compares the catalog's answers with full scans; `checked` is false while the catalog is missing. */
export async function catalogMatchesScan(
  root: string,
  experimentIds: string[],
): Promise<{ checked: boolean; reason?: string; diffs: string[]; queries: number }> {
  const mod = await loadCatalog();
  if (typeof mod === 'string') return { checked: false, reason: mod, diffs: [], queries: 0 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-rel-catalog-'));
  const diffs: string[] = [];
  try {
    const store = new FileStore(root);
    const catalog = mod.openCatalog(root, { dir });
    try {
      for (const q of QUERIES) {
        const opts = { ...q, maxResults: 50000, runViewType: 'ALL' as const };
        const fromCatalog = mod.catalogSearchRuns(catalog, store, experimentIds, opts);
        const scanned = await store.searchRuns(experimentIds, opts);
        if (JSON.stringify(ids(fromCatalog)) !== JSON.stringify(ids(scanned))) diffs.push(`${JSON.stringify(q)}: run ids differ`);
        else if (JSON.stringify(fromCatalog.items) !== JSON.stringify(scanned.items)) diffs.push(`${JSON.stringify(q)}: run contents differ`);
      }
    } finally {
      catalog.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { checked: true, diffs, queries: QUERIES.length };
}
