// The web dashboard's HTTP server: the page's static files and its API,
// read-only. Every response carries a Content-Security-Policy that allows
// only the page's own script and style files (no inline script, no other
// host), so a hostile string that reached the page could not run even if it
// were ever rendered as markup. With a token, every request must carry it
// (a Bearer header, or the cookie the page gets by opening `/?token=...`
// once); without one the server answers only requests addressed to a
// loopback name, so a web site cannot read it through DNS rebinding.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Store } from '@mcpr-store/query';
import { isLoopback } from '../listen-address.js';
import type { Logger } from '../log.js';
import { ApiError, answerApi } from './api.js';

export interface UiServerOptions {
  db: Store;
  dbPath: string;
  socketPath: string;
  /** Required of every request when set. */
  token: string | null;
  /** The built page: index.html and assets/. */
  webRoot: string;
  log: Logger;
}

const TOKEN_COOKIE = 'mcpr_ui_token';

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The page's files, read once at start: only these paths are ever served. */
function loadStaticFiles(webRoot: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  const add = (urlPath: string, file: string) => {
    const type = CONTENT_TYPES[path.extname(file)];
    if (type) files.set(urlPath, { body: fs.readFileSync(file), type });
  };
  add('/', path.join(webRoot, 'index.html'));
  const assets = path.join(webRoot, 'assets');
  for (const name of fs.readdirSync(assets)) add(`/assets/${name}`, path.join(assets, name));
  if (!files.has('/')) throw new Error(`the web page is not built: no ${webRoot}/index.html`);
  return files;
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => crypto.createHash('sha256').update(text).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected));
}

function cookieToken(header: string | undefined): string | null {
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return null;
}

/** The host name a request was addressed to, without its port. */
function requestHostName(hostHeader: string | undefined): string {
  const host = (hostHeader ?? '').trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  return host.split(':')[0] ?? '';
}

function sendJson(response: http.ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  response.end(body);
}

export function createUiServer(options: UiServerOptions): http.Server {
  const files = loadStaticFiles(options.webRoot);
  const { token, log } = options;

  return http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://page');
    if (token === null) {
      if (!isLoopback(requestHostName(request.headers.host))) {
        sendJson(response, 403, { error: 'this server answers only on a loopback address' });
        return;
      }
    } else {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const offered = url.searchParams.get('token');
      if (url.pathname === '/' && offered !== null && sameSecret(offered, token)) {
        // Opened once with the token in the URL: keep it in a cookie, drop it from the URL.
        response.writeHead(303, {
          ...SECURITY_HEADERS,
          'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
          location: '/',
        });
        response.end();
        return;
      }
      const given = bearer ?? cookieToken(request.headers.cookie);
      if (given === null || !sameSecret(given, token)) {
        sendJson(response, 401, {
          error: 'a token is needed: Authorization: Bearer TOKEN, or open /?token=TOKEN once',
        });
        return;
      }
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      const route = url.pathname.slice('/api/'.length);
      const context = {
        nowMs: Date.now(),
        dbPath: options.dbPath,
        socketPath: options.socketPath,
      };
      answerApi(route, url.searchParams, options.db, context).then(
        (answer) => sendJson(response, 200, answer),
        (error: Error) => {
          if (error instanceof ApiError) {
            sendJson(response, error.status, { error: error.message });
            return;
          }
          log.error('api failed', { route, error: error.message });
          sendJson(response, 500, { error: `the query failed: ${error.message}` });
        },
      );
      return;
    }
    const file = files.get(url.pathname);
    if (!file) {
      sendJson(response, 404, { error: `not found: ${url.pathname}` });
      return;
    }
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': file.type,
      'content-length': file.body.length,
      'cache-control': 'no-cache',
    });
    response.end(request.method === 'HEAD' ? undefined : file.body);
  });
}
