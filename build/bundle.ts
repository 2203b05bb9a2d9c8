/**
 * `npm run build`'s second step (after `tsc`, which type-checks and compiles src/, bin/ and
 * commands/ to dist/): the bot, src/main.ts and every module of ours it imports, as one ES module
 * in `dist/bot/` — the file the container image runs. The packages in node_modules stay outside
 * the bundle and are loaded by Node as `npm start` loads them, so what a package exports and when
 * it is loaded do not change; a module of ours that main.ts imports only when needed (the AWS
 * side, the doctor) becomes a chunk of its own, loaded as late as before.
 *
 * Why: Node keeps every loaded module's source text, its record and its scope; ~150 of ours,
 * each with its comments and most of them held as two-byte strings (any non-ASCII character in a
 * file makes V8 keep the whole text in UTF-16), cost about 5 MB of heap at idle against one bundle
 * without comments, and about 3 MB of resident memory in a start measured alone (docs/bench.md,
 * "Footprint and throughput, 2026-12-07 (20:41 UTC session)"). esbuild drops nearly all comments
 * and escapes non-ASCII characters (https://esbuild.github.io/api/#charset), though not inside
 * template literals and regular expressions, which it keeps as written (a few in main.js, from the
 * Slack renderers); the names stay as they are, so a stack trace still reads, and the source map
 * (not loaded unless `--enable-source-maps`) leads back to src/.
 */
import { realpathSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** Where the bundle goes; the Dockerfile's CMD runs `main.js` in it. */
export const BOT_BUNDLE_DIR = 'dist/bot';

const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * Bundles src/main.ts into `outdir` (relative to the repository, or absolute). For Node to find
 * the packages the bundle imports, `outdir` must lie inside the repository.
 */
export async function bundleBot(outdir: string = BOT_BUNDLE_DIR): Promise<void> {
  // Chunks are named by their content: without this, each build's would pile up beside the last.
  rmSync(resolve(root, outdir), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: ['src/main.ts'],
    outdir,
    bundle: true,
    // The dynamic imports of our own modules stay dynamic: a chunk per lazily loaded part.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}

const invoked = process.argv[1];
if (invoked !== undefined && import.meta.url === pathToFileURL(realpathSync(invoked)).href) {
  await bundleBot();
}
