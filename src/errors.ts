/**
 * One error class for the whole library, with MLflow's error codes.
 *
 * @example
 * ```ts
 * try { await client.getRun('nope'); } catch (e) {
 *   if (e instanceof MlflowError && e.code === 'RESOURCE_DOES_NOT_EXIST') console.log('no such run');
 * }
 * ```
 */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'INTERNAL_ERROR'
  | 'BAD_REQUEST'
  /**
   * The database stayed locked past its busy timeout (MLflow's code for SQLite's "database is
   * locked"); a tracking server could not be reached, or kept failing after the retries.
   */
  | 'TEMPORARILY_UNAVAILABLE'
  /** Data on disk that cannot be read (empty or truncated meta.yaml, malformed metric line...). */
  | 'MALFORMED_DATA'
  /** The file system refused (permissions, disk full...). */
  | 'IO_ERROR'
  /** A tracking server (REST store) refused the request's credentials (HTTP 401). */
  | 'UNAUTHENTICATED'
  /** A tracking server denied access (HTTP 403). */
  | 'PERMISSION_DENIED'
  /** A tracking server lacks the endpoint (an older MLflow, a disabled feature; HTTP 404). */
  | 'ENDPOINT_NOT_FOUND'
  /** A tracking server kept rate-limiting the request after the retries (HTTP 429). */
  | 'REQUEST_LIMIT_EXCEEDED';

export interface MlflowErrorOptions {
  /** The file or folder the error is about, when there is one. */
  path?: string;
  /** Position in a parsed string (filter, order_by), 0-based. */
  position?: number;
  cause?: unknown;
}

/**
 * The error thrown by every part of mlruns.
 *
 * @example
 * ```ts
 * throw new MlflowError('RESOURCE_DOES_NOT_EXIST', "Run 'abc' not found");
 * ```
 */
export class MlflowError extends Error {
  override readonly name = 'MlflowError';
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly position: number | undefined;

  constructor(code: ErrorCode, message: string, options: MlflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.position = options.position;
  }
}

/** Shorthand constructors, named as MLflow names its codes. */
export const invalidParameter = (message: string, options?: MlflowErrorOptions): MlflowError =>
  new MlflowError('INVALID_PARAMETER_VALUE', message, options);
export const notFound = (message: string, options?: MlflowErrorOptions): MlflowError =>
  new MlflowError('RESOURCE_DOES_NOT_EXIST', message, options);
export const alreadyExists = (message: string, options?: MlflowErrorOptions): MlflowError =>
  new MlflowError('RESOURCE_ALREADY_EXISTS', message, options);
export const invalidState = (message: string, options?: MlflowErrorOptions): MlflowError =>
  new MlflowError('INVALID_STATE', message, options);
export const malformed = (message: string, options?: MlflowErrorOptions): MlflowError =>
  new MlflowError('MALFORMED_DATA', message, options);

/**
 * A problem found while reading damaged data; readers collect these instead of throwing.
 *
 * @example
 * ```ts
 * const client = new MlflowClient('./mlruns', { onWarning: (w: ReadWarning) => console.warn(w.code, w.path) });
 * await client.searchRuns(['0']);
 * client.warnings.filter((w) => w.code === 'MALFORMED_METRIC');
 * ```
 */
export interface ReadWarning {
  /** Stable machine-readable kind. */
  code: WarningCode;
  /** The file or folder at fault. */
  path: string;
  message: string;
}

/**
 * The kinds of {@link ReadWarning}, stable for programs to match on.
 *
 * @example
 * ```ts
 * const damaged = client.warnings.some((w) => w.code === ('EMPTY_META' satisfies WarningCode));
 * ```
 */
export type WarningCode =
  | 'MISSING_META'
  | 'EMPTY_META'
  | 'MALFORMED_META'
  | 'ID_MISMATCH'
  | 'INVALID_ID'
  | 'MALFORMED_METRIC'
  | 'STRAY_ENTRY'
  | 'MISSING_DATASET'
  | 'LIFECYCLE_CONFLICT'
  | 'UNREADABLE'
  | 'REMAPPED_PATH'
  | 'MISSING_FOLDER'
  /** One run id in two or more experiment folders (copied by hand, a bad merge): `mlruns doctor` shows them. */
  | 'DUPLICATE_RUN';
