/**
 * The API URLs the web app asks for, built one way for the app (ui/src, bundled by esbuild) and for
 * the UI server, which puts the answers to a page's first requests in its HTML keyed by these
 * URLs. No Node or DOM imports: both sides load this file.
 *
 * @example
 * ```ts
 * appQuery({ experiments: '1', filter: '', order_by: ['metrics.loss ASC'], limit: 100 }); // '?experiments=1&order_by=metrics.loss+ASC&limit=100'
 * runsPageUrl(['1'], '', tableOrder('', 'metrics.loss ASC'), 'ACTIVE_ONLY', 0);
 * ```
 */

export type QueryValue = string | number | boolean | null | undefined | string[];

/** A query string: null, undefined, '' and false left out, arrays as repeated keys, true as '1'. */
export function appQuery(params: Record<string, QueryValue>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    if (Array.isArray(v)) v.forEach((x) => u.append(k, x));
    else u.set(k, v === true ? '1' : String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Runs per page of the runs table. */
export const RUNS_PAGE = 100;

/** The runs table's order_by: the group's key first (groups are runs in a row), then the chosen order (`;`-separated). */
export function tableOrder(group: string, orderBy: string): string[] {
  return [
    ...(group ? [`${group} ASC`] : []),
    ...orderBy
      .split(';')
      .map((x) => x.trim())
      .filter(Boolean),
  ];
}

/** Page `page` of the runs table's query (without the count, which has its own request). */
export function runsPageUrl(ids: string[], filter: string, order: string[], view: string, page: number): string {
  return `/api/runs${appQuery({ experiments: ids.join(','), filter, order_by: order, view, offset: page * RUNS_PAGE, limit: RUNS_PAGE, count: '0' })}`;
}

/** The runs table's column keys. */
export function columnsUrl(ids: string[], view: string): string {
  return `/api/columns${appQuery({ experiments: ids.join(','), view })}`;
}

/** One experiment. */
export function experimentUrl(id: string): string {
  return `/api/experiments/${encodeURIComponent(id)}`;
}
