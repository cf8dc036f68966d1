// Bundles the CLI into dist/bundle: the entry (mcpr-store.js) and one chunk
// per command, with the query layer and the protocol inside them. A query
// command is a short process, and loading some forty small modules one by
// one cost it more than its query; a bundle is a few files to read.
//
// Not bundled, and imported from their dist files instead: modules that
// find files next to themselves (the daemon's worker threads, the web
// root, the package manifest), because inside a bundle their paths would
// point elsewhere. The build fails if a bundled module finds a file that
// way, so a new one cannot slip in unnoticed. Packages from npm stay
// imports too (better-sqlite3 is native); this repository's own packages
// are bundled.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'bundle');

/** dist files the bundle imports rather than contains. */
const UNBUNDLED = ['cli/daemon-command.js', 'cli/ui-command.js', 'version.js'].map((file) =>
  path.join(dist, file),
);
/** A module locating a file relative to itself. */
const FILE_RELATIVE = /new URL\([^)]*import\.meta\.url|fileURLToPath\(import\.meta\.url\)/;

const keepUnbundled = {
  name: 'keep-unbundled',
  setup(builder) {
    // npm packages stay imports; this repository's packages are bundled.
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@mcpr-store/') || args.path.startsWith('node:')) return undefined;
      return { path: args.path, external: true };
    });
    builder.onResolve({ filter: /^\./ }, (args) => {
      const target = path.resolve(args.resolveDir, args.path);
      if (!UNBUNDLED.includes(target)) return undefined;
      return { path: `./${path.relative(out, target)}`, external: true };
    });
  },
};

fs.rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: { 'mcpr-store': path.join(dist, 'cli', 'main.js') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  keepNames: true,
  outdir: out,
  chunkNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  plugins: [keepUnbundled],
});

const misplaced = Object.keys(result.metafile.inputs).filter((input) =>
  FILE_RELATIVE.test(fs.readFileSync(input, 'utf8')),
);
if (misplaced.length > 0) {
  process.stderr.write(
    `build-cli: these modules find files next to themselves and cannot be bundled; add them to UNBUNDLED:\n  ${misplaced.join('\n  ')}\n`,
  );
  process.exit(1);
}
