// The daemon's version, read once from its package.json so that health,
// `meta.mcpr_version` and `--version` can never disagree.

import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const DAEMON_VERSION: string = manifest.version;
