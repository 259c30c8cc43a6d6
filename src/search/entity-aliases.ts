/**
 * The entity names MLflow accepts before the dot of a run filter's key, and the key type each
 * names (`SearchUtils._valid_entity_type`): shared by the full filter parser and its fast path.
 *
 * @example
 * ```ts
 * ENTITY_ALIASES['params']; // 'param'
 * ```
 * @module
 */
import type { RunKeyType } from './ast.js';

export const ENTITY_ALIASES: Readonly<Record<string, RunKeyType>> = {
  metric: 'metric',
  metrics: 'metric',
  parameter: 'param',
  parameters: 'param',
  param: 'param',
  params: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attr: 'attribute',
  attributes: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};
