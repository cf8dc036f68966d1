// Builds the web dashboard into dist/web: index.html, and one script and one
// stylesheet bundled by esbuild (uPlot included), so the page loads nothing
// from another host and needs no inline code.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'web');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'assets'), { recursive: true });
fs.copyFileSync(path.join(root, 'web', 'index.html'), path.join(out, 'index.html'));

await build({
  entryPoints: {
    app: path.join(root, 'web', 'src', 'main.ts'),
  },
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  outdir: path.join(out, 'assets'),
  logLevel: 'warning',
});
await build({
  entryPoints: { app: path.join(root, 'web', 'src', 'app.css') },
  bundle: true,
  minify: true,
  outdir: path.join(out, 'assets'),
  logLevel: 'warning',
});
