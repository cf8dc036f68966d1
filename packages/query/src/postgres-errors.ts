// What went wrong with a PostgreSQL server, in words an operator acts on:
// the driver's errors carry a code (a system one for the network, SQLSTATE
// for the server) and messages that name neither the server nor the fix.
// Never with the password, whatever the driver's message held.

import { withoutPassword } from './postgres-url.js';

/** Where `url` points, as `HOST:PORT`, for messages. */
export function postgresAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || parsed.searchParams.get('host') || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return 'the server';
  }
}

export function describePostgresError(error: unknown, url: string): string {
  const { code, message } = error as { code?: string; message?: string };
  const at = postgresAddress(url);
  let user = '';
  let database = '';
  try {
    const parsed = new URL(url);
    user = decodeURIComponent(parsed.username) || process.env.PGUSER || '';
    database = decodeURIComponent(parsed.pathname.slice(1)) || user;
  } catch {
    // The address above already says the URL is unusable.
  }
  const text = (() => {
    switch (code) {
      case 'ECONNREFUSED':
        return `cannot connect to PostgreSQL at ${at}: connection refused (is the server running, on that port?)`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `cannot connect to PostgreSQL at ${at}: the host name does not resolve`;
      case 'ETIMEDOUT':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return `cannot connect to PostgreSQL at ${at}: ${code === 'ETIMEDOUT' ? 'timed out' : 'unreachable'}`;
      case 'ECONNRESET':
      case 'EPIPE':
        return `the connection to PostgreSQL at ${at} was cut (${code})`;
      case '28P01':
        return `PostgreSQL at ${at} refused the password for user "${user}" (from the URL, PGPASSWORD or ~/.pgpass)`;
      case '28000':
        return `PostgreSQL at ${at} refused the connection: ${message ?? code}`;
      case '3D000':
        return `PostgreSQL at ${at} has no database "${database}"`;
      case '42501':
        return `PostgreSQL at ${at}: permission denied (${message ?? code}); the user needs CREATE on the database for schema mcpr`;
      case '57P01':
      case '57P02':
      case '57P03':
        return `PostgreSQL at ${at} is shutting down or starting up (${message ?? code})`;
      default:
        if (message && /timeout/i.test(message)) return `PostgreSQL at ${at}: ${message}`;
        return `PostgreSQL at ${at}: ${message ?? String(error)}`;
    }
  })();
  return withoutPassword(text, url);
}
