/**
 * MLflow Projects' `MLproject` file, as `mlflow/projects/_project_spec.py` reads it: entry
 * points, typed parameters with defaults, the command with `{param}` placeholders, extra
 * parameters appended as `--key value`. Runs in the local environment: `python_env` and
 * `conda_env` are noted and ignored; `docker_env` is refused. Beyond MLflow, `float` and `int`
 * parameters are type-checked (with Python's `float()` / `int()` rules).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePythonFloat, parsePythonInt, pythonStr } from '../format/float.js';
import { parseYaml } from '../format/yaml.js';
import { uriScheme } from '../store/uri.js';
import { CliError, EXIT } from './context.js';

export interface ProjectParameter {
  name: string;
  type: string;
  /** Python `str()` of the YAML default; null when there is none. */
  default: string | null;
}

export interface EntryPoint {
  name: string;
  parameters: ProjectParameter[];
  command: string;
}

export interface Project {
  name: string | null;
  /** Path of the MLproject file; null when the folder has none. */
  file: string | null;
  dir: string;
  entryPoints: Record<string, EntryPoint>;
  /** `python_env`, `conda_env` or `docker_env` when the file names one. */
  envType: string | null;
}

const ENV_FIELDS = ['python_env', 'conda_env', 'docker_env'];

/** `_find_mlproject`: a file named `MLproject` in any case. */
export function findMlproject(dir: string): string | null {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return null;
  }
  const found = names.find((n) => n.toLowerCase() === 'mlproject');
  return found ? path.join(dir, found) : null;
}

function bad(message: string): never {
  throw new CliError(`invalid MLproject: ${message}`, EXIT.USAGE);
}

export function loadProject(dir: string): Project {
  const file = findMlproject(dir);
  let obj: Record<string, unknown> = {};
  if (file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(fs.readFileSync(file, 'utf8'), { pyFloat: true });
    } catch (err) {
      bad(`${file}: ${(err as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) bad(`${file} is not a mapping`);
      obj = parsed as Record<string, unknown>;
    }
  }
  const envs = ENV_FIELDS.filter((f) => f in obj);
  if (envs.length > 1) bad(`Project cannot contain multiple environment fields: ${envs.join(', ')}`);
  const entryPoints: Record<string, EntryPoint> = {};
  const eps = obj['entry_points'] ?? {};
  if (typeof eps !== 'object' || eps === null || Array.isArray(eps)) bad('entry_points must be a mapping');
  for (const [name, raw] of Object.entries(eps as Record<string, unknown>)) {
    const ep = (raw ?? {}) as Record<string, unknown>;
    if (typeof ep !== 'object' || Array.isArray(ep)) bad(`entry point '${name}' must be a mapping`);
    const command = ep['command'];
    if (typeof command !== 'string') bad(`entry point '${name}' has no command`);
    const params: ProjectParameter[] = [];
    const rawParams = (ep['parameters'] ?? {}) as Record<string, unknown>;
    if (typeof rawParams !== 'object' || Array.isArray(rawParams)) bad(`parameters of entry point '${name}' must be a mapping`);
    for (const [pname, spec] of Object.entries(rawParams)) {
      if (typeof spec === 'string') {
        params.push({ name: pname, type: spec, default: null });
      } else if (spec && typeof spec === 'object' && !Array.isArray(spec)) {
        const s = spec as Record<string, unknown>;
        const type = s['type'] === undefined ? 'string' : String(s['type']);
        const def = s['default'];
        params.push({ name: pname, type, default: def === undefined || def === null ? null : pythonStr(def) });
      } else {
        bad(`parameter '${pname}' of entry point '${name}' must be a type name or a mapping`);
      }
    }
    entryPoints[name] = { name, parameters: params, command };
  }
  return {
    name: typeof obj['name'] === 'string' ? obj['name'] : null,
    file,
    dir,
    entryPoints,
    envType: envs[0] ?? null,
  };
}

/** `shlex.quote`. */
export function shQuote(s: string): string {
  if (s === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** `Project.get_entry_point`: a named entry point, or a `.py` / `.sh` script run as MLflow runs it. */
export function getEntryPoint(project: Project, name: string): EntryPoint {
  const ep = project.entryPoints[name];
  if (ep) return ep;
  const ext = path.extname(name);
  if (ext === '.py') return { name, parameters: [], command: `python ${shQuote(name)}` };
  if (ext === '.sh') return { name, parameters: [], command: `${process.env['SHELL'] || 'bash'} ${shQuote(name)}` };
  throw new CliError(
    `could not find ${name} among entry points [${Object.keys(project.entryPoints).map((k) => `'${k}'`).join(', ')}] or interpret ${name} as a runnable script. Supported script file extensions: ['.py', '.sh']`,
    EXIT.USAGE,
  );
}

/** Checks and converts one value by its declared type; returns the value used in the command. */
function computeValue(p: ProjectParameter, value: string, forCommand: boolean): string {
  switch (p.type) {
    case 'float':
      try {
        parsePythonFloat(value);
      } catch {
        throw new CliError(`parameter '${p.name}' of type float got invalid value '${value}'`, EXIT.USAGE);
      }
      return value;
    case 'int':
    case 'integer':
      try {
        parsePythonInt(value);
      } catch {
        throw new CliError(`parameter '${p.name}' of type int got invalid value '${value}'`, EXIT.USAGE);
      }
      return value;
    case 'uri':
      if (uriScheme(value) === '' && !/^[A-Za-z]:/.test(value)) {
        throw new CliError(`expected URI for parameter ${p.name} but got ${value}`, EXIT.USAGE);
      }
      return value;
    case 'path': {
      const scheme = uriScheme(value);
      if (scheme !== '' && scheme !== 'file') {
        throw new CliError(`parameter '${p.name}' of type path got remote URI '${value}': only local paths are supported`, EXIT.USAGE);
      }
      const local = scheme === 'file' ? decodeURIComponent(value.replace(/^file:(\/\/[^/]*)?/, '')) : value;
      // As MLflow: relative to the current folder (os.path.abspath).
      const absolute = path.resolve(local);
      if (!fs.existsSync(absolute)) {
        throw new CliError(`got value ${value} for parameter ${p.name}, but no such file or directory was found`, EXIT.USAGE);
      }
      // MLflow logs the value as given and substitutes the absolute path into the command.
      return forCommand ? absolute : value;
    }
    default:
      return value;
  }
}

export interface ResolvedEntryPoint {
  /** Shell command (run with `bash -c` in the project folder). */
  command: string;
  /** What MLflow logs as params: declared (quoted as MLflow quotes them) then extra. */
  params: Array<{ key: string; value: string }>;
}

/** `EntryPoint.compute_command` + the params `_create_run` logs. */
export function resolveEntryPoint(ep: EntryPoint, user: Record<string, string>): ResolvedEntryPoint {
  const missing = ep.parameters.filter((p) => !(p.name in user) && p.default === null).map((p) => `'${p.name}'`);
  if (missing.length) throw new CliError(`no value given for missing parameters: ${missing.join(', ')}`, EXIT.USAGE);
  const forCommand: Record<string, string> = {};
  const logged: Array<{ key: string; value: string }> = [];
  for (const p of ep.parameters) {
    const raw = p.name in user ? (user[p.name] as string) : (p.default as string);
    forCommand[p.name] = shQuote(computeValue(p, raw, true));
    logged.push({ key: p.name, value: shQuote(computeValue(p, raw, false)) });
  }
  const declared = new Set(ep.parameters.map((p) => p.name));
  const extra = Object.entries(user).filter(([k]) => !declared.has(k));
  for (const [k, v] of extra) logged.push({ key: shQuote(k), value: shQuote(v) });
  const command = [pyFormat(ep.command, forCommand), ...extra.map(([k, v]) => `--${shQuote(k)} ${shQuote(v)}`)].join(' ');
  return { command, params: logged };
}

/** Python `str.format(**params)` for `{name}` fields and `{{`/`}}` escapes. */
export function pyFormat(template: string, params: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === '{') {
      if (template[i + 1] === '{') {
        out += '{';
        i++;
        continue;
      }
      const end = template.indexOf('}', i);
      if (end === -1) throw new CliError(`invalid MLproject command: single '{' encountered in format string`);
      const field = template.slice(i + 1, end);
      const name = field.split(/[!:]/)[0] ?? '';
      if (!(name in params)) throw new CliError(`invalid MLproject command: it uses {${field}} but no parameter '${name}' is declared`);
      out += params[name];
      i = end;
    } else if (c === '}') {
      if (template[i + 1] === '}') i++;
      else throw new CliError(`invalid MLproject command: single '}' encountered in format string`);
      out += '}';
    } else {
      out += c;
    }
  }
  return out;
}
