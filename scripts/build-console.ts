/**
 * `npm run build:console`: bundles the console (console/src, Preact) with esbuild into console/dist, which the API
 * serves at /console. Mermaid is split into its own chunks, loaded only by the analysis page.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(__dirname, '..', 'console');
const out = join(root, 'dist');

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { app: join(root, 'src', 'main.tsx') },
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
    legalComments: 'linked',
    // lib/template-definition.ts imports zod-openapi for its types only; the browser needs none of it.
    logOverride: { 'ignored-bare-import': 'silent' },
  });
  for (const file of ['index.html', 'console.css']) copyFileSync(join(root, file), join(out, file));
  console.log(`console built into ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
