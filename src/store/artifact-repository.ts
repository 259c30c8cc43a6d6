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
  /** The artifact root URI this repository writes under (the run's `artifact_uri`). */
  readonly artifactUri: string;
  /** Copies a local file under `artifactPath` (the root when omitted). */
  logArtifact(localFile: string, artifactPath?: string | null): Promise<void>;
  /** Copies a local folder's contents under `artifactPath`. */
  logArtifacts(localDir: string, artifactPath?: string | null): Promise<void>;
  /** Writes `text` (UTF-8) as the artifact file `artifactFile`. */
  logText(text: string, artifactFile: string): Promise<void>;
  /** Writes a dictionary as JSON, or YAML for `.yml`/`.yaml` files (as `mlflow.log_dict`). */
  logDict(dictionary: Record<string, unknown>, artifactFile: string): Promise<void>;
  /** The entries directly under `artifactPath` (the root when omitted), sorted by path. */
  listArtifacts(artifactPath?: string | null): Promise<FileInfo[]>;
  /** A local path holding the artifact (file or folder), copied to `dstPath` first when given. */
  downloadArtifacts(artifactPath: string, dstPath?: string | null): Promise<string>;
  /** The bytes of one artifact file. */
  readArtifact(artifactPath: string): Promise<Buffer>;
}
