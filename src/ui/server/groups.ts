/**
 * Run groups for the runs table's "group by": the matching runs in the table's own order (the
 * group key first, ascending, then the user's order), cut into runs of equal group value. Each
 * group carries its value, its first row's offset in that order and its count, so the browser
 * shows a header per group and fetches a group's rows by offset with the same query.
 *
 * @example
 * ```ts
 * const g = await runGroups(client, ['0'], { group: 'params.model', filter: '', orderBy: [], view: 'ACTIVE_ONLY' });
 * g.groups; // [{ value: 'cnn', offset: 0, count: 4 }, { value: 'mlp', offset: 4, count: 2 }]
 * ```
 */
import type { MlflowClient } from '../../tracking/client.js';
import type { ViewType } from '../../entities.js';
import { MlflowError } from '../../errors.js';
import { parseRunOrderByClause } from '../../search/parse.js';

/**
 * One group: its value (null: runs without the param or tag), first row offset and size.
 *
 * @example
 * ```ts
 * const g: RunGroup = { value: 'cnn', offset: 0, count: 4 };
 * ```
 */
export interface RunGroup {
  value: string | null;
  offset: number;
  count: number;
}

/**
 * What {@link runGroups} needs: the table's query and the `params.x` / `tags.x` to group by.
 *
 * @example
 * ```ts
 * const q: GroupQuery = { group: 'params.model', filter: '', orderBy: ['metrics.loss ASC'], view: 'ACTIVE_ONLY' };
 * ```
 */
export interface GroupQuery {
  group: string;
  filter: string;
  orderBy: string[];
  view: ViewType;
}

/**
 * The groups of the runs matching a query, in the order the table shows them (rows fetched with
 * `order_by = [group ASC, ...orderBy]` and an offset land in the group that says so).
 *
 * @example
 * ```ts
 * const { groups, total } = await runGroups(client, ['0'], { group: 'tags.team', filter: "params.lr = '0.1'", orderBy: [], view: 'ALL' });
 * ```
 */
export async function runGroups(client: MlflowClient, experimentIds: string[], q: GroupQuery): Promise<{ groups: RunGroup[]; total: number }> {
  const clause = parseRunOrderByClause(`${q.group} ASC`);
  if (clause.type !== 'param' && clause.type !== 'tag') {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `group must be a param or a tag (params.<key> or tags.<key>), got '${q.group}'`);
  }
  const kind = clause.type === 'param' ? 'params' : 'tags';
  const groups: RunGroup[] = [];
  let total = 0;
  let token: string | null = null;
  do {
    const page: { runs: { data: { params: Record<string, string>; tags: Record<string, string> } }[]; token: string | null } = await client.searchRuns(
      experimentIds,
      q.filter,
      { runViewType: q.view, maxResults: 50_000, orderBy: [`${q.group} ASC`, ...q.orderBy], pageToken: token },
    );
    for (const r of page.runs) {
      const v = r.data[kind][clause.key] ?? null;
      const last = groups[groups.length - 1];
      if (last && last.value === v) last.count++;
      else groups.push({ value: v, offset: total, count: 1 });
      total++;
    }
    token = page.token;
  } while (token);
  return { groups, total };
}
