// npm run build (run by `prepare`, i.e. after every `npm install`): emits the package entry points
// (src/index.ts, src/client/index.ts) as JavaScript + declarations into dist/ (gitignored), per
// tsconfig.build.json (dist/ is not wiped first: main's dashboard build lives in dist/dashboard). One workaround, in memory only: Prisma's generated prismaNamespace.ts
// assigns DbNull/JsonNull/AnyNull from values whose class the runtime does not export, which
// declaration emit cannot name (TS4094); the build reads that file with the type spelled out.
//
// `npm install` must never fail because of it (npm start runs from src/ through tsx): without
// TypeScript (npm install --omit=dev) it says so and skips; problems are printed as warnings.
// `--strict` (the consumer test) exits 1 on any problem.
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

function build(ts: typeof TS): number {
  const configPath = join(root, 'tsconfig.build.json');
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
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  report(ts, diagnostics);
  return diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error) ? 1 : 0;
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
    const failed = build(ts) !== 0;
    if (failed) process.stderr.write(`switchboard: dist/ built with the problems above${strict ? '' : ' (warnings: npm install goes on)'}\n`);
    process.exitCode = failed && strict ? 1 : 0;
  }
}
