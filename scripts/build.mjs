// npm run build (also run by postinstall): the server as plain JavaScript in dist/, one file per
// source file at the same depth as in src/ (so paths relative to a file, such as the migrations
// folder, resolve the same from both), the dashboard page in dist/dashboard, and, where
// TypeScript is installed (a development install), the package's declarations.
//
// Plain Node (no tsx): it must run after `npm ci --omit=dev`, where only `dependencies` exist.
import { existsSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = `usage: npm run build [-- --server-only]

Emits the server as JavaScript into dist/ (run it with \`npm start\`, i.e. node dist/main.js) and
the client package (packages/client/dist), builds the dashboard into dist/dashboard, and, when
TypeScript is installed, the declarations (the client's bundled into one file).
--server-only: the JavaScript alone (about a second).`;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every src/**\/*.ts as its own ESM module; relative imports keep pointing at files, now .js. */
async function buildServer() {
  const esbuild = await import('esbuild');
  const src = join(root, 'src');
  const relativeJs = {
    name: 'relative-imports-as-js',
    setup(build) {
      build.onResolve({ filter: /^\.{1,2}\// }, (args) =>
        args.kind === 'entry-point' ? undefined : { path: args.path.replace(/\.ts$/, '.js'), external: true },
      );
    },
  };
  await esbuild.build({
    entryPoints: sourceFiles(src),
    outdir: join(root, 'dist'),
    outbase: src,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [relativeJs],
  });
  for (const file of ['db/pglite-worker.mjs']) {
    mkdirSync(dirname(join(root, 'dist', file)), { recursive: true });
    copyFileSync(join(src, file), join(root, 'dist', file));
  }
}

/** The client package's JavaScript: one ESM file, its npm dependencies left as imports. */
async function buildClient() {
  const esbuild = await import('esbuild');
  const out = join(root, 'packages/client/dist');
  await esbuild.build({
    entryPoints: [join(root, 'packages/client/src/index.ts')],
    outfile: join(out, 'index.js'),
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'schema.graphql'), join(out, 'schema.graphql'));
}

async function buildDashboard() {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'dashboard/vite.config.ts'), logLevel: 'warn' });
}

/** Declarations of the package entry points (development installs only: needs TypeScript). */
async function buildDeclarations() {
  try {
    // Dev dependencies; a production install may still hold typescript and tsx (peers of others).
    for (const tool of ['typescript', 'tsx', 'rollup-plugin-dts']) require.resolve(tool);
  } catch {
    return; // a production install: no declarations needed to serve
  }
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/build.ts'), ...process.argv.filter((a) => a === '--strict')], { stdio: 'inherit' });
  // The GraphQL schema's introspection for gql.tada users of the client package.
  execFileSync(join(root, 'node_modules/.bin/gql.tada'), ['generate-output', '--tsconfig', 'dashboard/tsconfig.json', '--output', 'packages/client/dist/graphql-env.d.ts'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
} else {
  const started = performance.now();
  await buildServer();
  await buildClient();
  if (!process.argv.includes('--server-only')) {
    await buildDashboard();
    await buildDeclarations();
  }
  if (!process.env.npm_config_loglevel?.match(/silent/)) {
    process.stderr.write(`switchboard: built ${relative(process.cwd(), join(root, 'dist')) || 'dist'}/ in ${Math.round(performance.now() - started)} ms\n`);
  }
  if (!existsSync(join(root, 'dist/main.js'))) process.exitCode = 1;
}
