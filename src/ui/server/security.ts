/**
 * The UI server's guards: the access token (query, header or cookie), the `Host` check against
 * DNS rebinding, security headers (a strict Content-Security-Policy), and artifact paths that
 * cannot leave a run's artifact folder.
 *
 * @example
 * ```ts
 * const token = newToken();
 * hostAllowed('127.0.0.1:5050', '127.0.0.1', 5050); // true
 * ```
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';

/** The cookie that carries the token after the first visit. */
export const TOKEN_COOKIE = 'mlruns_ui_token';

/** A fresh random access token (32 hex characters). */
export function newToken(): string {
  return crypto.randomBytes(16).toString('hex');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** The token a request carries: `Authorization: Bearer`, `X-Mlruns-Token`, the cookie, or `?token=`. */
export function requestToken(req: http.IncomingMessage, url: URL): { token: string | null; via: 'header' | 'cookie' | 'query' | null } {
  const auth = req.headers['authorization'];
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return { token: auth.slice(7).trim(), via: 'header' };
  const h = req.headers['x-mlruns-token'];
  if (typeof h === 'string') return { token: h, via: 'header' };
  const q = url.searchParams.get('token');
  if (q) return { token: q, via: 'query' };
  const cookie = req.headers['cookie'];
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === TOKEN_COOKIE) return { token: decodeURIComponent(v.join('=')), via: 'cookie' };
    }
  }
  return { token: null, via: null };
}

/** Whether the request's token is the server's. */
export function tokenValid(given: string | null, expected: string): boolean {
  return given !== null && safeEqual(given, expected);
}

/**
 * Whether a `Host` header names this server: `localhost`, `127.0.0.1`, `[::1]` or the bound host,
 * with the bound port. Anything else (a DNS-rebinding name) is refused.
 */
export function hostAllowed(host: string | undefined, boundHost: string, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  if (!m) return false;
  const name = m[1]!;
  const p = m[2] === undefined ? 80 : Number(m[2]);
  if (p !== port) return false;
  const allowed = new Set(['localhost', '127.0.0.1', '[::1]']);
  const b = boundHost.toLowerCase();
  if (b !== '0.0.0.0' && b !== '::') allowed.add(b.includes(':') && !b.startsWith('[') ? `[${b}]` : b);
  else {
    // Bound to every interface: the machine's own addresses are its names.
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) allowed.add(a.family === 'IPv6' ? `[${a.address.toLowerCase()}]` : a.address);
    }
    allowed.add(os.hostname().toLowerCase());
  }
  return allowed.has(name);
}

/** The Content-Security-Policy of the app's pages: only our own script, style, images and API. */
export const APP_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers on every response. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': APP_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

/** Why an artifact path is refused, or null when it is a plain relative path. */
export function badArtifactPath(rel: string): string | null {
  if (rel.includes('\0')) return 'NUL in path';
  if (rel.includes('\\')) return 'backslash in path';
  if (path.isAbsolute(rel) || rel.startsWith('/')) return 'absolute path';
  for (const seg of rel.split('/')) if (seg === '..' || seg === '.') return `'${seg}' segment`;
  return null;
}

/**
 * The real path of `rel` inside `base`, or null when it does not exist or leaves `base` (through
 * `..`, a symlink or anything else).
 */
export function resolveInside(base: string, rel: string): string | null {
  if (badArtifactPath(rel)) return null;
  let realBase: string;
  let real: string;
  try {
    realBase = fs.realpathSync(base);
    real = fs.realpathSync(path.join(base, rel));
  } catch {
    return null;
  }
  const r = path.relative(realBase, real);
  if (r === '') return real;
  if (r.startsWith('..') || path.isAbsolute(r)) return null;
  return real;
}

const INLINE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.json': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.yml': 'text/plain; charset=utf-8',
  '.csv': 'text/plain; charset=utf-8',
  '.tsv': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.py': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.js': 'text/plain; charset=utf-8',
};

/**
 * How an artifact file is served: images and text inline (text always as text/plain), with a
 * sandbox CSP; anything else (HTML, SVG, binaries) as a download that never renders.
 */
export function artifactHeaders(file: string, download: boolean): Record<string, string> {
  const ext = path.extname(file).toLowerCase();
  const base = path.basename(file).replace(/[^\w.\- ]/g, '_');
  const inline = !download ? INLINE_TYPES[ext] ?? (path.basename(file) === 'MLmodel' ? 'text/plain; charset=utf-8' : undefined) : undefined;
  return {
    ...securityHeaders(),
    'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self'",
    'Content-Type': inline ?? 'application/octet-stream',
    'Content-Disposition': inline ? `inline; filename="${base}"` : `attachment; filename="${base}"`,
  };
}
