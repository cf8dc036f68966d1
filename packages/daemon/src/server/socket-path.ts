// Claiming the socket path. A socket file left by a crashed daemon is
// detected (nothing accepts on it) and replaced; one with a live daemon
// behind it is never touched; anything that is not a socket is never
// deleted. The file gets its mode before anyone can connect.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Linux's limit for sun_path, terminator included. */
const MAX_SOCKET_PATH_BYTES = 107;

export class SocketInUseError extends Error {
  constructor(readonly socketPath: string) {
    super(`another mcpr-store daemon is already listening on ${socketPath}`);
    this.name = 'SocketInUseError';
  }
}

function probe(socketPath: string, timeoutMs: number): Promise<'live' | 'stale'> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const done = (state: 'live' | 'stale') => {
      socket.destroy();
      resolve(state);
    };
    socket.setTimeout(timeoutMs, () => done('live'));
    socket.once('connect', () => done('live'));
    socket.once('error', () => done('stale'));
  });
}

/**
 * Makes `socketPath` free to listen on, or throws a clear error. With
 * `dryRun` a stale file is only detected, not removed.
 */
export async function claimSocketPath(
  socketPath: string,
  options: { dryRun?: boolean } = {},
): Promise<{ replacedStale: boolean }> {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(
      `socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, the system limit; choose a shorter --socket`,
    );
  }
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(socketPath);
  } catch {
    return { replacedStale: false };
  }
  if (!stat.isSocket()) {
    throw new Error(
      `${socketPath} exists and is not a socket; remove it or choose another --socket`,
    );
  }
  if ((await probe(socketPath, 1000)) === 'live') throw new SocketInUseError(socketPath);
  if (options.dryRun) return { replacedStale: false };
  fs.unlinkSync(socketPath);
  return { replacedStale: true };
}

/** Listens with the socket file created at `mode` (umask narrowed around bind). */
export function listenOnSocket(
  server: net.Server,
  socketPath: string,
  mode: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const previous = process.umask(0o777 & ~mode);
    const restore = () => process.umask(previous);
    server.once('error', (error) => {
      restore();
      reject(error);
    });
    server.listen(socketPath, () => {
      restore();
      try {
        fs.chmodSync(socketPath, mode);
        resolve();
      } catch (error) {
        reject(error);
      }
    });
  });
}
