// A password given on the command line (a postgres:// URL with one) shows in
// `ps` to every user for as long as the process runs. Long-running commands
// (the daemon, the dashboard) rewrite their process title without it as
// they start; Linux then shows the new title in /proc/PID/cmdline.

import { redactPostgresUrl } from '@mcpr-store/query';

/** Rewrites the process title with `url`'s password removed, when it has one. */
export function hidePasswordFromPs(url: string): void {
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return;
  }
  if (password === '') return;
  const redacted = redactPostgresUrl(url);
  process.title = process.argv.map((arg) => arg.split(url).join(redacted)).join(' ');
}
