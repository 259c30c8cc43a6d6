/**
 * Artifacts through a tracking server's `mlflow-artifacts` proxy (`mlflow server
 * --serve-artifacts`), as MLflow's `MlflowArtifactsRepository` / `HttpArtifactRepository`:
 * `GET /api/2.0/mlflow-artifacts/artifacts?path=` lists, `PUT .../artifacts/<path>` uploads,
 * `GET .../artifacts/<path>` downloads.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlflowError, invalidParameter, notFound } from '../../errors.js';
import { dumpYaml } from '../../format/yaml.js';
import type { YamlMap } from '../../format/yaml.js';
import { pyJson } from '../../format/json.js';
import type { ArtifactRepository, FileInfo } from '../artifact-repository.js';
import { checkArtifactPath } from '../file/artifacts.js';
import type { RestConnection } from './http.js';
import { parseMlflowJson } from './http.js';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

/** The server-relative root of an artifact URI served by the proxy, or null when it is not one. */
export function proxiedArtifactRoot(artifactUri: string): string | null {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri);
  if (m) return (m[1] ?? '').replace(/\/+$/, '');
  const h = /^https?:\/\/[^/]+(?:\/.*)?\/api\/2\.0\/mlflow-artifacts\/artifacts\/?(.*)$/.exec(artifactUri);
  if (h) return decodeURIComponent(h[1] ?? '').replace(/\/+$/, '');
  return null;
}

/**
 * The artifacts of one run or logged model on a tracking server.
 *
 * @example
 * ```ts
 * const repo = await new MlflowClient('http://127.0.0.1:5000').store.artifactRepository(runId);
 * await repo.logText('hello', 'notes/hello.txt');
 * ```
 */
export class ProxyArtifactRepository implements ArtifactRepository {
  readonly artifactUri: string;
  private readonly root: string;

  constructor(
    private readonly conn: RestConnection,
    artifactUri: string,
  ) {
    this.artifactUri = artifactUri;
    const root = proxiedArtifactRoot(artifactUri);
    if (root === null) throw invalidParameter(`Artifact URI '${artifactUri}' is not served by the tracking server's mlflow-artifacts proxy`);
    this.root = root;
  }

  private full(rel: string): string {
    return [this.root, rel].filter((s) => s !== '').join('/');
  }

  private async upload(rel: string, body: Buffer): Promise<void> {
    const p = `${PROXY}/${encodePath(this.full(rel))}`;
    const res = await this.conn.request({ method: 'PUT', path: p, body, contentType: 'application/octet-stream' });
    if (res.status !== 200) throw this.conn.errorOf(res, 'PUT', p);
  }

  async logArtifact(localFile: string, artifactPath?: string | null): Promise<void> {
    const rel = checkArtifactPath(artifactPath);
    let st: fs.Stats;
    try {
      st = fs.statSync(localFile);
    } catch {
      throw notFound(`No such file: '${localFile}'`);
    }
    if (st.isDirectory()) {
      const base = path.basename(path.resolve(localFile));
      await this.logArtifacts(localFile, rel === '' ? base : `${rel}/${base}`);
      return;
    }
    const name = path.basename(localFile);
    await this.upload(rel === '' ? name : `${rel}/${name}`, fs.readFileSync(localFile));
  }

  async logArtifacts(localDir: string, artifactPath?: string | null): Promise<void> {
    const rel = checkArtifactPath(artifactPath);
    let st: fs.Stats;
    try {
      st = fs.statSync(localDir);
    } catch {
      throw notFound(`No such directory: '${localDir}'`);
    }
    if (!st.isDirectory()) throw invalidParameter(`'${localDir}' is not a directory`);
    const walk = async (dir: string, relDir: string): Promise<void> => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const abs = path.join(dir, e.name);
        const r = relDir === '' ? e.name : `${relDir}/${e.name}`;
        const s = fs.statSync(abs);
        if (s.isDirectory()) await walk(abs, r);
        else await this.upload(r, fs.readFileSync(abs));
      }
    };
    await walk(localDir, rel);
  }

  async logText(text: string, artifactFile: string): Promise<void> {
    const rel = checkArtifactPath(artifactFile, 'artifact file');
    if (rel === '') throw invalidParameter(`Invalid artifact file '${artifactFile}': it must name a file`);
    await this.upload(rel, Buffer.from(text, 'utf8'));
  }

  async logDict(dictionary: Record<string, unknown>, artifactFile: string): Promise<void> {
    const ext = path.posix.extname(artifactFile);
    const text = ext === '.yml' || ext === '.yaml' ? dumpYaml(dictionary as YamlMap) : pyJson(dictionary, { indent: 2 });
    await this.logText(text, artifactFile);
  }

  /** Writes bytes as the artifact file `artifactFile`. */
  async logBytes(bytes: Buffer, artifactFile: string): Promise<void> {
    const rel = checkArtifactPath(artifactFile, 'artifact file');
    if (rel === '') throw invalidParameter(`Invalid artifact file '${artifactFile}': it must name a file`);
    await this.upload(rel, bytes);
  }

  async listArtifacts(artifactPath?: string | null): Promise<FileInfo[]> {
    const rel = checkArtifactPath(artifactPath);
    const full = this.full(rel);
    const p = `${PROXY}${full ? `?path=${encodeURIComponent(full)}` : ''}`;
    const res = await this.conn.request({ method: 'GET', path: p });
    if (res.status !== 200) throw this.conn.errorOf(res, 'GET', p);
    const body = parseMlflowJson(res.body.toString('utf8')) as { files?: Array<{ path: string; is_dir?: boolean; file_size?: number | string }> };
    const infos: FileInfo[] = (body.files ?? []).map((f) => ({
      path: rel === '' ? f.path : `${rel}/${f.path}`,
      isDir: !!f.is_dir,
      fileSize: f.is_dir ? null : f.file_size === undefined ? null : Number(f.file_size),
    }));
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async readArtifact(artifactPath: string): Promise<Buffer> {
    const rel = checkArtifactPath(artifactPath, 'artifact file');
    const p = `${PROXY}/${encodePath(this.full(rel))}`;
    const res = await this.conn.request({ method: 'GET', path: p });
    if (res.status === 404 || (res.status === 500 && /No such file|not found|does not exist|Is a directory/i.test(res.body.toString('utf8')))) {
      throw notFound(`No such artifact: '${rel}'`);
    }
    if (res.status !== 200) throw this.conn.errorOf(res, 'GET', p);
    return res.body;
  }

  async downloadArtifacts(artifactPath: string, dstPath?: string | null): Promise<string> {
    const rel = checkArtifactPath(artifactPath);
    const destRoot = dstPath ? path.resolve(dstPath) : fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-artifacts-'));
    const dest = rel === '' ? destRoot : path.join(destRoot, ...rel.split('/'));
    // A folder lists its entries; a file lists nothing (or itself).
    const entries = await this.listArtifacts(rel);
    if (rel === '' || entries.length > 0) {
      fs.mkdirSync(dest, { recursive: true });
      for (const e of entries) {
        if (e.isDir) await this.downloadArtifacts(e.path, destRoot);
        else {
          const out = path.join(destRoot, ...e.path.split('/'));
          fs.mkdirSync(path.dirname(out), { recursive: true });
          fs.writeFileSync(out, await this.readArtifact(e.path));
        }
      }
      return dest;
    }
    let bytes: Buffer;
    try {
      bytes = await this.readArtifact(rel);
    } catch (e) {
      if (e instanceof MlflowError && e.code === 'RESOURCE_DOES_NOT_EXIST') {
        // An empty folder is not distinguishable from nothing over the proxy.
        throw notFound(`No such artifact: '${rel}'`);
      }
      throw e;
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, bytes);
    return dest;
  }
}
