#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=1024
// Committed launcher, so that npm links the command at install time, before
// the TypeScript build exists; the CLI itself is dist/bundle/mcpr-store.js
// (dist/cli/main.js bundled by scripts/build-cli.mjs). The heap
// flags keep the daemon's memory low under sustained load: a small young
// generation (its events outlive a scavenge or two while they wait for their
// commit), and an explicit old-space limit, far above what the daemon's
// bounds let it hold, which makes V8 collect before growing
// (docs/performance.md has the measurement).
import '../dist/bundle/mcpr-store.js';
