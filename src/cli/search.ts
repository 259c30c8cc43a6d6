/**
 * Run searches shared by `runs` and `best`: filter and order-by checked first (so a syntax error
 * points at the right string with a caret), then all pages fetched up to a maximum.
 */
import type { Run, ViewType } from '../entities.js';
import { MlflowError } from '../errors.js';
import type { MlflowClient } from '../tracking/client.js';
import { parseRunFilter, parseRunOrderByClause } from '../search/parse.js';
import { CliError, EXIT } from './context.js';

/** Where the error points in `text`: its position, else a quoted token of its message found once in `text`. */
function locate(err: MlflowError, text: string): number | undefined {
  if (err.position !== undefined) return err.position;
  for (const m of err.message.matchAll(/'([^'\s][^']*)'/g)) {
    const token = m[1] as string;
    const at = text.indexOf(token);
    if (at !== -1 && text.indexOf(token, at + 1) === -1) return at;
  }
  return undefined;
}

function asUsage(err: unknown, label: string, text: string): never {
  if (err instanceof MlflowError) {
    const position = locate(err, text);
    const source = position !== undefined ? { label, text, position } : undefined;
    throw new CliError(`invalid ${label}: ${err.message}`, EXIT.USAGE, source);
  }
  throw err;
}

/** Throws a CliError (exit 1, with a caret when the parser gives a position) for a bad filter or order-by. */
export function checkSearchSyntax(filter: string | undefined, orderBy: string[] | undefined): void {
  if (filter) {
    try {
      parseRunFilter(filter);
    } catch (err) {
      asUsage(err, '--filter', filter);
    }
  }
  for (const clause of orderBy ?? []) {
    try {
      parseRunOrderByClause(clause);
    } catch (err) {
      asUsage(err, '--order-by', clause);
    }
  }
}

/** Every run matching, in order, up to `max` (Infinity for all). */
export async function searchAllRuns(
  client: MlflowClient,
  experimentIds: string[],
  options: { filter?: string; orderBy?: string[]; view: ViewType; max: number },
): Promise<{ runs: Run[]; truncated: boolean }> {
  checkSearchSyntax(options.filter, options.orderBy);
  const runs: Run[] = [];
  if (experimentIds.length === 0) return { runs, truncated: false };
  let token: string | null = null;
  for (;;) {
    const want = Math.min(1000, options.max - runs.length + 1);
    let page: { runs: Run[]; token: string | null };
    try {
      page = await client.searchRuns(experimentIds, options.filter ?? '', {
        runViewType: options.view,
        maxResults: want,
        orderBy: options.orderBy && options.orderBy.length > 0 ? options.orderBy : null,
        pageToken: token,
      });
    } catch (err) {
      if (err instanceof MlflowError && options.filter && (err.position !== undefined || err.code === 'INVALID_PARAMETER_VALUE')) {
        asUsage(err, '--filter', options.filter);
      }
      throw err;
    }
    runs.push(...page.runs);
    token = page.token;
    if (runs.length > options.max) return { runs: runs.slice(0, options.max), truncated: true };
    if (!token) return { runs, truncated: false };
  }
}
