/**
 * The artifact half of a store: where a run's (or a logged model's) files live. MLflow picks an
 * artifact repository from the artifact URI's scheme (`file:`/paths locally, `mlflow-artifacts:`
 * through a tracking server); every backend hands out one of these per run.
 */

/**
 * One entry of an artifact listing, as MLflow's `FileInfo`.
 *
 * @example
 * ```ts
 * const files: FileInfo[] = await client.listArtifacts(runId);
 * const total = files.reduce((n, f) => n + (f.fileSize ?? 0), 0);
 * ```
 */
export interface FileInfo {
  /** POSIX path relative to the run's artifact root. */
  path: string;
  isDir: boolean;
  /** Size in bytes; null for folders. */
  fileSize: number | null;
}

/**
 * The artifacts of one run or logged model, as MLflow's `ArtifactRepository`.
 *
 * @example
 * ```ts
 * const repo = await store.artifactRepository(runId);
 * await repo.logText('hello', 'notes/hello.txt');
 * await repo.listArtifacts('notes'); // [{ path: 'notes/hello.txt', isDir: false, fileSize: 5 }]
 * ```
 */
export interface ArtifactRepository {
  /**
   * The artifact root URI this repository writes under (the run's `artifact_uri`).
   *
   * @example
   * ```ts
   * repo.artifactUri; // 'file:///abs/mlruns/1/<run>/artifacts'
   * ```
   */
  readonly artifactUri: string;
  /**
   * Copies a local file under `artifactPath` (the root when omitted).
   *
   * @example
   * ```ts
   * await repo.logArtifact('./model.onnx', 'model');
   * ```
   */
  logArtifact(localFile: string, artifactPath?: string | null): Promise<void>;
  /**
   * Copies a local folder's contents under `artifactPath`.
   *
   * @example
   * ```ts
   * await repo.logArtifacts('./outputs', 'outputs');
   * ```
   */
  logArtifacts(localDir: string, artifactPath?: string | null): Promise<void>;
  /**
   * Writes `text` (UTF-8) as the artifact file `artifactFile`.
   *
   * @example
   * ```ts
   * await repo.logText('hello', 'notes/hello.txt');
   * ```
   */
  logText(text: string, artifactFile: string): Promise<void>;
  /**
   * Writes a dictionary as JSON, or YAML for `.yml`/`.yaml` files (as `mlflow.log_dict`).
   *
   * @example
   * ```ts
   * await repo.logDict({ lr: 0.1 }, 'config.yaml');
   * ```
   */
  logDict(dictionary: Record<string, unknown>, artifactFile: string): Promise<void>;
  /**
   * The entries directly under `artifactPath` (the root when omitted), sorted by path.
   *
   * @example
   * ```ts
   * const entries = await repo.listArtifacts('notes');
   * ```
   */
  listArtifacts(artifactPath?: string | null): Promise<FileInfo[]>;
  /**
   * A local path holding the artifact (file or folder), copied to `dstPath` first when given.
   *
   * @example
   * ```ts
   * const local = await repo.downloadArtifacts('notes', './downloaded');
   * ```
   */
  downloadArtifacts(artifactPath: string, dstPath?: string | null): Promise<string>;
  /**
   * The bytes of one artifact file.
   *
   * @example
   * ```ts
   * const text = (await repo.readArtifact('notes/hello.txt')).toString('utf8');
   * ```
   */
  readArtifact(artifactPath: string): Promise<Buffer>;
}
