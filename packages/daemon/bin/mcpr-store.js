#!/usr/bin/env node
// Committed launcher, so that npm links the command at install time, before
// the TypeScript build exists; the CLI itself is dist/cli/main.js.
import '../dist/cli/main.js';
