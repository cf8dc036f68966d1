// `mcpr-store ui`: the web dashboard. Serves the page and its API on
// loopback by default, from a read-only connection (the page can never
// change the store), until Ctrl-C. A non-loopback address needs a token.

import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '@mcpr-store/query';
import { httpUrl, isLoopback, parseListenAddress } from '../listen-address.js';
import { createLogger } from '../log.js';
import { resolveDbPath, resolveSocketPath } from '../paths.js';
import { createUiServer } from '../ui/ui-server.js';
import { booleanFlag, parseFlags, stringFlag } from './flags.js';
import { hidePasswordFromPs } from './process-title.js';
import { UsageError } from './usage-error.js';

export const UI_HELP = `Usage: mcpr-store ui [--listen HOST:PORT] [--token TOKEN] [--db PATH] [--socket PATH]

Serves a web dashboard of the store (read-only) and prints its URL: overview, tools,
errors, sessions and clients, logs with live tail, schema. Its data comes from
GET /api/COMMAND?FLAG=VALUE, which answers what "mcpr-store COMMAND --json" prints.

  --listen HOST:PORT  where to serve (default 127.0.0.1:7357; a bare port is on loopback)
  --token TOKEN       required of every request (Authorization: Bearer TOKEN, or open
                      /?token=TOKEN once); needed for an address that is not loopback.
                      Default $MCPR_UI_TOKEN. At least 16 characters.
  --db PATH|URL       database file, or postgres:// URL where daemons replicate
                      (default $MCPR_DB, else ~/.mcpr/store.db)
  --socket PATH       the daemon's socket, for its health (default $MCPR_STORE_SOCKET)

Examples:
  mcpr-store ui
  mcpr-store ui --listen 127.0.0.1:8080 --db /var/lib/mcpr-store/store.db
  MCPR_UI_TOKEN=$(openssl rand -hex 16) mcpr-store ui --listen 0.0.0.0:7357
`;

const DEFAULT_LISTEN = '127.0.0.1:7357';
const TOKEN_MIN_CHARS = 16;

/** Where the build put the page: dist/web beside dist/cli. */
const WEB_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web');

export async function runUi(argv: string[]): Promise<number> {
  const flags = parseFlags('ui', argv, {
    listen: { type: 'string' },
    token: { type: 'string' },
    db: { type: 'string' },
    socket: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (booleanFlag(flags, 'help')) {
    process.stdout.write(UI_HELP);
    return 0;
  }
  if (flags.positionals.length > 0) throw new UsageError('ui: takes no arguments');
  const address = parseListenAddress(
    stringFlag(flags, 'listen') ?? DEFAULT_LISTEN,
    '--listen',
    7357,
  );
  const token = stringFlag(flags, 'token') ?? (process.env.MCPR_UI_TOKEN || null);
  if (token !== null && token.length < TOKEN_MIN_CHARS) {
    throw new UsageError(`ui: the token must be at least ${TOKEN_MIN_CHARS} characters`);
  }
  if (token === null && !isLoopback(address.host)) {
    throw new UsageError(
      `ui: --listen ${address.host} is reachable from other hosts; give --token (or MCPR_UI_TOKEN) to serve there`,
    );
  }
  const dbPath = resolveDbPath(stringFlag(flags, 'db'));
  hidePasswordFromPs(dbPath);
  const db = openStore(dbPath, { longLived: true });
  const server = createUiServer({
    db,
    dbPath,
    socketPath: resolveSocketPath(stringFlag(flags, 'socket')),
    token,
    webRoot: WEB_ROOT,
    log: createLogger('info'),
  });
  try {
    await listen(server, address.host, address.port);
  } catch (error) {
    db.close();
    throw new Error(
      `ui: cannot listen on ${address.host}:${address.port}: ${(error as Error).message}`,
    );
  }
  const bound = server.address() as AddressInfo;
  process.stdout.write(
    `mcpr-store ui: ${httpUrl(address.host, bound.port)}/${token === null ? '' : ' (open /?token=TOKEN once)'}\n`,
  );
  return new Promise((resolve) => {
    const stop = () => {
      server.close();
      server.closeAllConnections();
      db.close();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
