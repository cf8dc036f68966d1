#!/usr/bin/env node
// After a package's CommonJS build (tsconfig.cjs.json into dist/cjs), marks
// that folder as CommonJS: the package itself is "type": "module", so
// without this marker Node would read dist/cjs/*.js as ES modules.
import fs from 'node:fs';
import path from 'node:path';

const folder = path.resolve(process.argv[2] ?? 'dist/cjs');
fs.writeFileSync(path.join(folder, 'package.json'), '{ "type": "commonjs" }\n');
