#!/usr/bin/env node
// Entry point of the mcpr-store CLI.
process.stderr.write('mcpr-store: no commands yet\n');
process.exit(1);
