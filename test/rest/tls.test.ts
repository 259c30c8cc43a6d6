/**
 * TLS to a tracking server: a real `mlflow server` (3.17.2, SQLite) behind a TLS-terminating
 * Node `https` proxy whose certificate is signed by a CA made here with `openssl`.
 *
 * - no settings: mlruns refuses the certificate with a clear error naming the two variables (and
 *   Python's client refuses it too); nothing is written locally; credentials never printed;
 * - `MLFLOW_TRACKING_SERVER_CERT_PATH` = the CA: a push goes through (Python's dump of the server
 *   equals the folder's), as Python's client accepts it; another CA: refused, the path named;
 * - `MLFLOW_TRACKING_INSECURE_TLS=true`: a pull goes through (Python accepts it too);
 * - both set: a clear error, as MLflow's `MlflowHostCreds` raises.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { MlflowError } from '../../src/errors.js';
import { BIN, build, cleanEnv } from '../cli/helpers.js';
import { Oracle, venvPython } from '../oracle/oracle.js';
import { diffValues } from '../oracle/normalize.js';
import { makeSyncStore, projectDump } from './compare.js';
import { freePort, startMlflowServer } from './server.js';
import type { MlflowServer } from './server.js';
import { warmPythonSpawn } from '../oracle/zygote.js';

let server: MlflowServer;
let py: Oracle;
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-tls-')));
const ca = path.join(tmp, 'ca.pem');
const otherCa = path.join(tmp, 'other-ca.pem');
let proxy: { url: string; port: number; requests: () => number; close: () => Promise<void> };

const TLS_VARS = ['MLFLOW_TRACKING_INSECURE_TLS', 'MLFLOW_TRACKING_SERVER_CERT_PATH', 'MLFLOW_TRACKING_TOKEN', 'MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD'];

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: tmp, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

/** A CA, and a server certificate for 127.0.0.1 / localhost signed by it; a second, unrelated CA. */
function makeCertificates(): { key: Buffer; cert: Buffer } {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=mlruns test CA']);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=mlruns other CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(
    path.join(tmp, 'server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
  return { key: fs.readFileSync(path.join(tmp, 'server.key')), cert: fs.readFileSync(path.join(tmp, 'server.pem')) };
}

/** An https server that forwards every request to the plain-http `target`. */
async function startTlsProxy(target: string, creds: { key: Buffer; cert: Buffer }) {
  const t = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  let n = 0;
  const srv = https.createServer(creds, (req, res) => {
    n++;
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: `${t.hostname}:${t.port}` }, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end('upstream unreachable');
    });
    req.pipe(up);
  });
  // A refused handshake is the client's business: no noise here.
  srv.on('tlsClientError', () => undefined);
  const port = await freePort();
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests: () => n,
    close: () =>
      new Promise<void>((r) => {
        agent.destroy();
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

/** A child process (the proxy runs in this one, so nothing may block it). */
function run(cmd: string, args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean: Record<string, string | undefined> = Object.fromEntries(TLS_VARS.map((k) => [k, undefined]));
  return new Promise((resolve, reject) => {
    const childEnv = cleanEnv({ ...clean, REQUESTS_CA_BUNDLE: undefined, CURL_CA_BUNDLE: undefined, ...env });
    // Python in a warm interpreter of its venv (test/oracle/zygote.ts), anything else as is.
    const child = /^python[\d.]*$/.test(path.basename(cmd))
      ? warmPythonSpawn(cmd, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(cmd, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const mlrunsAsync = (args: string[], env: Record<string, string | undefined> = {}) => run(process.execPath, [BIN, ...args], env);

/** Python MLflow's client listing the experiments of `url`: 'ok', or its error. */
async function pythonLists(url: string, env: Record<string, string | undefined>): Promise<string> {
  const script = [
    'import sys',
    'from mlflow import MlflowClient',
    'try:',
    '    MlflowClient(sys.argv[1]).search_experiments()',
    '    print("ok")',
    'except Exception as e:',
    '    print(type(e).__name__ + ": " + str(e)[:400])',
  ].join('\n');
  const r = await run(venvPython('mlflow-3'), ['-c', script, url], { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', ...env });
  if (r.code !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout.trim();
}

beforeAll(async () => {
  build();
  const creds = makeCertificates();
  [server, py] = await Promise.all([startMlflowServer({ backend: 'sqlite' }), Oracle.start('3', { timeoutMs: 300_000 })]);
  proxy = await startTlsProxy(server.url, creds);
});

afterAll(async () => {
  await proxy?.close();
  await py?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('TLS: a tracking server behind an https proxy with a private CA', { timeout: 900_000 }, () => {
  const root = path.join(tmp, 'mlruns');

  it('without settings the certificate is refused (as Python refuses it): clear error, nothing written, no credentials printed', async () => {
    const folder = path.join(tmp, 'never-created');
    const withCreds = `https://admin:hunter2-pass@127.0.0.1:${proxy.port}`;
    const r = await mlrunsAsync(['--root', folder, 'pull', '--from', withCreds], { MLFLOW_TRACKING_TOKEN: 'tok-secret-789' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/certificate/i);
    expect(r.stderr).toContain('MLFLOW_TRACKING_SERVER_CERT_PATH');
    expect(r.stderr).toContain('MLFLOW_TRACKING_INSECURE_TLS=true');
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stderr).not.toContain('tok-secret-789');
    expect(r.stdout).not.toContain('hunter2');
    expect(fs.existsSync(folder)).toBe(false);

    // The library: an MlflowError with the same hint, credentials redacted, no retries spent.
    const client = new MlflowClient(withCreds, { rest: { token: 'tok-secret-789', maxRetries: 0 } });
    const err = await client.searchExperiments().catch((e: unknown) => e);
    client.close();
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).code).toBe('UNAUTHENTICATED');
    expect((err as Error).message).toMatch(/certificate.*MLFLOW_TRACKING_SERVER_CERT_PATH/s);
    expect((err as Error).message).not.toMatch(/hunter2|tok-secret-789/);

    // Python's client refuses the same certificate.
    expect(await pythonLists(proxy.url, {})).toMatch(/SSL|certificate/i);
  });

  it('MLFLOW_TRACKING_SERVER_CERT_PATH = the CA: a push goes through and Python reads the server as the folder', async () => {
    makeSyncStore(root);
    const before = proxy.requests();
    const r = await mlrunsAsync(['--root', root, 'push', '--to', proxy.url, '--json'], { MLFLOW_TRACKING_SERVER_CERT_PATH: ca });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { failed: unknown[]; created: number; files: number };
    expect(body.failed).toEqual([]);
    expect(body.files).toBeGreaterThan(0);
    expect(proxy.requests() - before).toBeGreaterThan(10);
    expect(diffValues(projectDump(await py.dump(server.url)), projectDump(await py.dump(root)))).toEqual([]);
    expect(await pythonLists(proxy.url, { MLFLOW_TRACKING_SERVER_CERT_PATH: ca })).toBe('ok');
  });

  it('MLFLOW_TRACKING_SERVER_CERT_PATH = another CA: refused, the path named (Python refuses too)', async () => {
    const r = await mlrunsAsync(['--root', path.join(tmp, 'other'), 'pull', '--from', proxy.url], { MLFLOW_TRACKING_SERVER_CERT_PATH: otherCa });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`does not verify with the CA bundle of MLFLOW_TRACKING_SERVER_CERT_PATH '${otherCa}'`);
    expect(fs.existsSync(path.join(tmp, 'other'))).toBe(false);
    expect(await pythonLists(proxy.url, { MLFLOW_TRACKING_SERVER_CERT_PATH: otherCa })).toMatch(/SSL|certificate/i);
  });

  it('MLFLOW_TRACKING_INSECURE_TLS=true: a pull goes through and gives the pushed folder back (Python accepts it too)', async () => {
    const back = path.join(tmp, 'back');
    const before = proxy.requests();
    const r = await mlrunsAsync(['--root', back, 'pull', '--from', proxy.url, '--json'], { MLFLOW_TRACKING_INSECURE_TLS: 'true' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { failed: unknown[] }).failed).toEqual([]);
    expect(proxy.requests() - before).toBeGreaterThan(10);
    const serverDump = await py.dump(server.url);
    expect(diffValues(projectDump(await py.dump(back), { via: serverDump }), projectDump(await py.dump(root)))).toEqual([]);
    expect(await pythonLists(proxy.url, { MLFLOW_TRACKING_INSECURE_TLS: 'true' })).toBe('ok');
  });

  it('both set: a clear error before any request (as MLflow raises)', async () => {
    const before = proxy.requests();
    const r = await mlrunsAsync(['--root', path.join(tmp, 'both'), 'pull', '--from', proxy.url], {
      MLFLOW_TRACKING_INSECURE_TLS: 'true',
      MLFLOW_TRACKING_SERVER_CERT_PATH: ca,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MLFLOW_TRACKING_INSECURE_TLS=true and MLFLOW_TRACKING_SERVER_CERT_PATH .* are both set/);
    expect(proxy.requests()).toBe(before);
    expect(await pythonLists(proxy.url, { MLFLOW_TRACKING_INSECURE_TLS: 'true', MLFLOW_TRACKING_SERVER_CERT_PATH: ca })).toMatch(/ignore_tls_verification.*server_cert_path/);
  });
});
