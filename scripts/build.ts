// The declarations, run by scripts/build.mjs in development installs (it needs TypeScript):
// - the server package's entry (src/index.ts) into dist/ per tsconfig.build.json;
// - the client package's: tsconfig.client.json emits packages/client/src and the server types its
//   AppRouter reaches, then rollup-plugin-dts bundles them into one packages/client/dist/index.d.ts.
//   The tRPC context type (the server's services, database and logger types, which a client never
//   uses) is replaced by an empty interface there, so the bundle imports only @trpc/client and
//   @trpc/server and a consumer installs no server dependency.
// One workaround, in memory only: Prisma's generated prismaNamespace.ts
// assigns DbNull/JsonNull/AnyNull from values whose class the runtime does not export, which
// declaration emit cannot name (TS4094); the build reads that file with the type spelled out.
//
// `npm install` must never fail because of it (npm start runs from src/ through tsx): without
// TypeScript (npm install --omit=dev) it says so and skips; problems are printed as warnings.
// `--strict` (the consumer test) exits 1 on any problem.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type TS from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const NULLS = /\b(DbNull|JsonNull|AnyNull)(: |\s*=\s*)(DbNull|JsonNull|AnyNull|runtime\.objectEnumValues\.instances\.(?:DbNull|JsonNull|AnyNull))\b(?=,|\n|\s*$)/g;

export function patchGenerated(fileName: string, text: string): string {
  if (!fileName.replaceAll('\\', '/').endsWith('/src/db/generated/internal/prismaNamespace.ts')) return text;
  return text.replace(NULLS, (_m, name: string, sep: string, value: string) => {
    const type = `typeof runtime.objectEnumValues.instances.${name}`;
    return sep.includes('=') ? `${name}: ${type} = ${value}` : `${name}${sep}${value} as ${type}`;
  });
}

/** Emits one config's declarations; `check` false reports emit problems only (tsc --noEmit type-checks the same files). */
function build(ts: typeof TS, configFile: string, check = true): number {
  const configPath = join(root, configFile);
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => report(ts, [d]) });
  if (!config) return 1;
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => {
    const text = readFile(fileName);
    return text === undefined ? undefined : patchGenerated(fileName, text);
  };
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
  const emitted = program.emit();
  const diagnostics = [...(check ? ts.getPreEmitDiagnostics(program) : []), ...emitted.diagnostics];
  report(ts, diagnostics);
  return diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error) ? 1 : 0;
}

/** packages/client/dist/index.d.ts: the emitted client declarations as one self-contained file. */
async function bundleClientDeclarations(): Promise<void> {
  const typesDir = join(root, 'packages/client/dist/types');
  const { rollup } = await import('rollup');
  const { dts } = await import('rollup-plugin-dts');
  const emptyContext = {
    name: 'switchboard-empty-trpc-context',
    load: (id: string) => (id.replaceAll('\\', '/').endsWith('/src/trpc/init.d.ts') ? 'export interface TRPCContext {}\n' : null),
  };
  const bundle = await rollup({ input: join(typesDir, 'packages/client/src/index.d.ts'), plugins: [emptyContext, dts({ respectExternal: false })], logLevel: 'silent' });
  await bundle.write({ file: join(root, 'packages/client/dist/index.d.ts'), format: 'es' });
  await bundle.close();
  rmSync(typesDir, { recursive: true, force: true });
}

function report(ts: typeof TS, diagnostics: readonly TS.Diagnostic[]): void {
  if (diagnostics.length === 0) return;
  process.stderr.write(ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const strict = process.argv.includes('--strict');
  const ts = await import('typescript').then((m) => m.default, () => undefined);
  if (!ts) {
    process.stderr.write('switchboard: typescript is not installed (dev dependency): dist/ (switchboard/client) not built\n');
    process.exitCode = strict ? 1 : 0;
  } else {
    const failed = build(ts, 'tsconfig.build.json') !== 0 || build(ts, 'tsconfig.client.json', false) !== 0;
    if (!failed) await bundleClientDeclarations();
    if (failed) process.stderr.write(`switchboard: dist/ built with the problems above${strict ? '' : ' (warnings: npm install goes on)'}\n`);
    process.exitCode = failed && strict ? 1 : 0;
  }
}
