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
  const { metafile } = await build({
    metafile: true,
    entryPoints: { app: join(root, 'src', 'main.tsx') },
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    // Maps stay beside the build for debugging, unlinked; the API never serves them (api/console.routes.ts).
    sourcemap: 'external',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
    legalComments: 'linked',
    // lib/template-definition.ts imports zod-openapi for its types only; the browser needs none of it.
    logOverride: { 'ignored-bare-import': 'silent' },
  });
  for (const file of ['index.html', 'console.css']) copyFileSync(join(root, file), join(out, file));
  // What the first page costs: the entry and the chunks it imports statically (lazy pages load later).
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((file) => outputs[file]!.entryPoint?.endsWith('src/main.tsx'))!;
  const firstLoad = new Set<string>();
  const visit = (file: string) => {
    if (firstLoad.has(file)) return;
    firstLoad.add(file);
    for (const imported of outputs[file]!.imports) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(entry);
  const kB = (bytes: number) => (bytes / 1024).toFixed(1);
  const firstBytes = [...firstLoad].reduce((sum, file) => sum + outputs[file]!.bytes, 0);
  console.log(`console built into ${out}: the first page loads ${kB(firstBytes)} kB of script in ${firstLoad.size} file(s)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
