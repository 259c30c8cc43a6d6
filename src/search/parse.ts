/**
 * Parsers for MLflow search filters and order_by clauses (the entry point of the pieces below), mirroring MLflow 3.17's
 * `SearchUtils`, `SearchExperimentsUtils`, `SearchModelUtils` and `SearchModelVersionUtils`.
 *
 * MLflow tokenizes filters with sqlparse 0.6 and then inspects the grouped token tree; the
 * accepted language is whatever that pipeline accepts. This module ports the parts of the sqlparse
 * lexer (same ordered rules, same keyword table) and of its grouping engine that decide what a
 * filter turns into (parenthesis, functions, periods, identifiers, order, typecasts, operations,
 * comparisons, AS, aliases), including its DoS limits (10,000 tokens, nesting depth 100). Every
 * step is linear in the input (the grouping passes splice arrays of at most 10,000 tokens).
 *
 * @example
 * ```ts
 * import { parseRunFilter, parseRunOrderBy } from './parse.js';
 * const ast = parseRunFilter("metrics.loss < 0.5 and params.model = 'cnn'");
 * const order = parseRunOrderBy(['metrics.loss DESC']);
 * ```
 */
export { parseRunFilter, parseExperimentFilter, parseRegisteredModelFilter, parseModelVersionFilter } from './filter.js';
export {
  parseRunOrderByClause,
  parseRunOrderBy,
  parseExperimentOrderBy,
  parseRegisteredModelOrderBy,
  parseModelVersionOrderBy,
} from './order-by.js';
export { pyRepr, pyStrip, pyIntFromString, pyFloat, shlexSplit } from '../format/python.js';
