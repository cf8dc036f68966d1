#!/usr/bin/env node
// `npm run pack`: the release files. Writes an installable tarball of every
// published package (protocol, query, client, daemon) to one folder, built
// from the current tree. Their dependencies on each other are exact
// versions, so installing the tarballs together resolves them among
// themselves, with no registry holding @mcpr-store packages:
//
//   npm install ./mcpr-store-protocol-0.1.0.tgz ./mcpr-store-client-0.1.0.tgz        # a proxy
//   npm install -g ./mcpr-store-*.tgz                                                 # the daemon
//
// The daemon's tarball carries the project's README, which the systemd
// unit's Documentation= points at.
//
//   node scripts/pack.mjs [--out DIR]     (default: release/)

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['protocol', 'query', 'client', 'daemon'];

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = path.resolve(values.out ?? path.join(ROOT, 'release'));
fs.mkdirSync(out, { recursive: true });

for (const name of PACKAGES) {
  if (!fs.existsSync(path.join(ROOT, 'packages', name, 'dist'))) {
    process.stderr.write(`pack: packages/${name} is not built; run npm run build first\n`);
    process.exit(1);
  }
}

const readmeCopy = path.join(ROOT, 'packages/daemon/README.md');
fs.copyFileSync(path.join(ROOT, 'README.md'), readmeCopy);
try {
  for (const name of PACKAGES) {
    const json = execFileSync(
      'npm',
      ['pack', '--json', '--pack-destination', out, `./packages/${name}`],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [packed] = JSON.parse(json);
    process.stdout.write(`${path.join(out, packed.filename)}\n`);
  }
} finally {
  fs.rmSync(readmeCopy, { force: true });
}
