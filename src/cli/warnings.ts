/**
 * The one-line summary of the read warnings of a command (without `--debug`): counted by kind,
 * saying what happened ("3 artifact paths from another machine remapped"), and that something
 * was skipped only when something was.
 */
import type { ReadWarning, WarningCode } from '../errors.js';

/** Singular and plural phrase of each kind; `skipped` says whether entries were left out. */
const KINDS: Record<WarningCode, { one: string; many: string; skipped: boolean }> = {
  MISSING_META: { one: 'folder without meta.yaml skipped', many: 'folders without meta.yaml skipped', skipped: true },
  EMPTY_META: { one: 'entry with an empty meta.yaml skipped', many: 'entries with an empty meta.yaml skipped', skipped: true },
  MALFORMED_META: { one: 'entry with a malformed meta.yaml skipped', many: 'entries with a malformed meta.yaml skipped', skipped: true },
  ID_MISMATCH: { one: 'entry recording another id skipped', many: 'entries recording another id skipped', skipped: true },
  INVALID_ID: { one: 'folder with an invalid id skipped', many: 'folders with an invalid id skipped', skipped: true },
  MALFORMED_METRIC: { one: 'malformed metric entry skipped', many: 'malformed metric entries skipped', skipped: true },
  STRAY_ENTRY: { one: 'stray file or link ignored', many: 'stray files or links ignored', skipped: true },
  MISSING_DATASET: { one: 'dataset input without its dataset', many: 'dataset inputs without their dataset', skipped: true },
  UNREADABLE: { one: 'unreadable entry skipped', many: 'unreadable entries skipped', skipped: true },
  LIFECYCLE_CONFLICT: {
    one: 'experiment in .trash read as deleted (deleted by MLflow <= 2.2)',
    many: 'experiments in .trash read as deleted (deleted by MLflow <= 2.2)',
    skipped: false,
  },
  REMAPPED_PATH: { one: 'artifact path from another machine remapped', many: 'artifact paths from another machine remapped', skipped: false },
  MISSING_FOLDER: {
    one: "run missing folders git dropped, read as empty ('mlruns doctor --fix' restores them)",
    many: "runs missing folders git dropped, read as empty ('mlruns doctor --fix' restores them)",
    skipped: false,
  },
  DUPLICATE_RUN: {
    one: "run id found in two experiment folders ('mlruns doctor' shows which to keep)",
    many: "run ids found in two experiment folders ('mlruns doctor' shows which to keep)",
    skipped: false,
  },
};

/** `mlruns: warning: …` lines, one per kind in a stable order; empty when there is nothing to say. */
export function summarizeWarnings(warnings: readonly ReadWarning[]): string {
  const counts = new Map<WarningCode, number>();
  for (const w of warnings) counts.set(w.code, (counts.get(w.code) ?? 0) + 1);
  if (counts.size === 0) return '';
  const parts: string[] = [];
  for (const code of Object.keys(KINDS) as WarningCode[]) {
    const n = counts.get(code);
    if (!n) continue;
    const k = KINDS[code];
    parts.push(`${n} ${n === 1 ? k.one : k.many}`);
  }
  return `mlruns: warning: ${parts.join('; ')} (--debug shows them)\n`;
}
