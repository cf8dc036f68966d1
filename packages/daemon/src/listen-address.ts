// Addresses of the HTTP listeners (metrics, web page): `HOST:PORT`,
// `[IPv6]:PORT`, or a bare `PORT` or `:PORT` on loopback. A host that is
// not loopback is used only when named, and the callers decide what more it
// needs (the web page a token).

import net from 'node:net';
import { UsageError } from './cli/usage-error.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `text` as an address; `flag` and `example` name them in the error. */
export function parseListenAddress(text: string, flag: string, example: number): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*))?:?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65_535) {
    throw new UsageError(
      `${flag}: "${text}" is not HOST:PORT (e.g. 127.0.0.1:${example}, [::1]:${example}, ${example})`,
    );
  }
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

/** Whether only this machine can reach `host`: 127.0.0.0/8, ::1, or localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

/** `http://HOST:PORT`, the host in brackets when it is IPv6. */
export function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
