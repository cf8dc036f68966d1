#!/usr/bin/env -S node --max-semi-space-size=2
// Committed launcher, so that npm links the command at install time, before
// the TypeScript build exists; the CLI itself is dist/cli/main.js. The small
// young generation keeps the daemon's memory low under sustained load (its
// events outlive a scavenge or two while they wait for their commit), at no
// measured cost in throughput; see the README's Performance section.
import '../dist/cli/main.js';
