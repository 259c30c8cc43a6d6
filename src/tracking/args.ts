/**
 * Argument checks of the public client methods: a value of the wrong type (a number where a run
 * id goes, a string where the options object goes, an option that does not exist) is refused with
 * an INVALID_PARAMETER_VALUE error naming the method, the argument and the type expected, instead
 * of being ignored or failing deep inside a store.
 *
 * @example
 * ```ts
 * checkArgs('MlflowClient.getRun', { runId: [runId, 'string'] });
 * checkOptions('MlflowClient.searchRuns', options, { maxResults: 'int?', orderBy: 'string[]?' });
 * ```
 */
import { invalidParameter } from '../errors.js';

/**
 * A type: `string`, `id` (a string or an integer, as experiment ids and versions are),
 * `number`, `int`, `boolean`, `record` (a plain object), `string[]`, `array`, `any`, or
 * `'a'|'b'` literals; a trailing `?` also allows null and undefined.
 */
export type ArgType = string;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  id: 'a string or an integer',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  record: 'an object',
  'string[]': 'an array of strings',
  array: 'an array',
  any: 'any value',
};

function describe(type: string): string {
  if (type.includes('|')) return `one of ${type.split('|').join(', ')}`;
  return TYPE_NAMES[type] ?? type;
}

/** What a value is, as a person reads it in an error. */
function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'bigint':
      return `the number ${String(value)}`;
    case 'boolean':
      return `${String(value)}`;
    case 'undefined':
      return 'nothing (undefined)';
    case 'function':
      return 'a function';
    default:
      return 'an object';
  }
}

function matches(value: unknown, type: string): boolean {
  const optional = type.endsWith('?');
  const t = optional ? type.slice(0, -1) : type;
  if (value === undefined || value === null) return optional || t === 'any';
  if (t.includes('|')) return typeof value === 'string' && t.split('|').includes(value);
  switch (t) {
    case 'string':
      return typeof value === 'string';
    case 'id':
      return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
    case 'number':
      return typeof value === 'number' || typeof value === 'bigint';
    case 'int':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'record':
      return typeof value === 'object' && !Array.isArray(value);
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'array':
      return Array.isArray(value);
    case 'any':
      return true;
    default:
      throw new Error(`unknown argument type '${type}'`);
  }
}

/** Checks positional arguments: `{ name: [value, type] }`, in order. */
export function checkArgs(method: string, args: Record<string, readonly [unknown, ArgType]>): void {
  for (const [name, [value, type]] of Object.entries(args)) {
    if (!matches(value, type)) {
      throw invalidParameter(
        `${method}: argument '${name}' must be ${describe(type.replace(/\?$/, ''))}${type.endsWith('?') ? ' (or null)' : ''}, got ${shown(value)}`,
      );
    }
  }
}

/**
 * Checks an options object: it must be an object (or omitted), every key must be one of `spec`
 * (an unknown key is refused, naming the known ones) and of its type.
 */
export function checkOptions(method: string, options: unknown, spec: Record<string, ArgType>, argName = 'options'): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidParameter(`${method}: argument '${argName}' must be an object of options (${Object.keys(spec).join(', ')}), got ${shown(options)}`);
  }
  for (const [key, value] of Object.entries(options as Record<string, unknown>)) {
    const type = spec[key];
    if (type === undefined) {
      throw invalidParameter(`${method}: unknown option '${key}' (options: ${Object.keys(spec).join(', ')})`);
    }
    if (value !== undefined && !matches(value, type)) {
      throw invalidParameter(
        `${method}: option '${key}' must be ${describe(type.replace(/\?$/, ''))}${type.endsWith('?') ? ' (or null)' : ''}, got ${shown(value)}`,
      );
    }
  }
}

/** MLflow's view types, optional. */
export const VIEW_TYPE = 'ACTIVE_ONLY|DELETED_ONLY|ALL?';
