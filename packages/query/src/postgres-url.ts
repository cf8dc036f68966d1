// PostgreSQL connection URLs as the daemon (`--replicate-to`) and the query
// commands (`--db postgres://...`) take them: checked before anything
// connects, and shown only without their password, so it never reaches a
// log line, a health report, a metric label or an error message.

/** True when `text` names a PostgreSQL server rather than a file. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/** Why `text` is not a usable PostgreSQL URL, or null when it is. */
export function postgresUrlProblem(text: string): string | null {
  if (!isPostgresUrl(text)) return 'expected a URL that starts with postgres:// or postgresql://';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a valid URL (a password with special characters must be percent-encoded)';
  }
  if (url.hostname === '' && !url.searchParams.has('host')) {
    return 'the URL names no host (postgres://USER@HOST:PORT/DATABASE)';
  }
  if (url.port !== '' && !/^\d+$/.test(url.port)) return `bad port ${url.port}`;
  return null;
}

/** The URL without its password (user, host, port, database and options kept). */
export function redactPostgresUrl(text: string): string {
  try {
    const url = new URL(text);
    url.password = '';
    for (const key of [...url.searchParams.keys()]) {
      if (key.toLowerCase() === 'password') url.searchParams.set(key, 'redacted');
    }
    return url.toString();
  } catch {
    // Unparsable: whatever follows the scheme could hold a password.
    return text.replace(/^(postgres(ql)?:\/\/).*/i, '$1(unparsable URL)');
  }
}

/** `message` with every occurrence of the URL's password replaced. */
export function withoutPassword(message: string, text: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(text).password);
  } catch {
    return message;
  }
  return password.length > 0 ? message.split(password).join('***') : message;
}
