// Bundles the CLI into dist/cli.js (execa split out, loaded only when a subprocess is needed)
// and the library into dist/index.js; tsc writes the type declarations. The installed command is
// dist/bin.cjs: it runs dist/cli.cjs, the same CLI as one CommonJS file (no ES module loader at
// start-up), with the V8 code cache that its first run makes (dist/code-cache.cjs).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Start-up work that no command needs, removed at bundle time (measured with node --cpu-prof):
 * string-width builds an Intl.Segmenter and an RGI_Emoji regex as it loads (about 35 ms), for
 * help text only; they are made on first use instead. yargs renders the whole help text after
 * every command, in case it is shown later; it is shown only for --help, which renders anew.
 */
const LAZY = [
  {
    file: /[\\/]string-width[\\/]index\.js$/,
    edits: [
      [
        'const segmenter = new Intl.Segmenter();',
        'let lazySegmenter; const segmenter = { segment: (s) => (lazySegmenter ??= new Intl.Segmenter()).segment(s) };',
      ],
      [
        'const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;',
        "let lazyRgi; const rgiEmojiRegex = { test: (s) => (lazyRgi ??= new RegExp('^\\\\p{RGI_Emoji}$', 'v')).test(s) };",
      ],
    ],
  },
  {
    file: /[\\/]yargs[\\/]build[\\/]lib[\\/]command\.js$/,
    edits: [['yargs.getInternalMethods().getUsageInstance().cacheHelpMessage();', '/* help is rendered when shown */']],
  },
  {
    // Every new yargs instance guesses its version from the nearest package.json, reading each
    // directory up from node_modules' parent (to / when there is none); the CLI sets its own.
    file: /[\\/]yargs[\\/]build[\\/]lib[\\/]yargs-factory\.js$/,
    edits: [['yargs.version();', '/* the CLI sets its version */']],
  },
  {
    // yargs' platform shim opens standard output as a stream (about 2 ms) for the terminal's
    // width as it loads; only help text needs it.
    file: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/,
    edits: [
      [
        "stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null",
        "get stdColumns() { return typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null; }",
      ],
    ],
  },
];

const applied = new Set();
const lazyStartup = {
  name: 'lazy-startup',
  setup(b) {
    b.onLoad({ filter: new RegExp(LAZY.map((l) => l.file.source).join('|')) }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      for (const { edits } of LAZY.filter((l) => l.file.test(args.path))) {
        for (const [from, to] of edits) {
          if (text.includes(from)) applied.add(from);
          text = text.replace(from, () => to);
        }
      }
      return { contents: text, loader: 'js' };
    });
  },
};

rmSync('dist', { recursive: true, force: true });
await build({
  // run/mount-rootfs.js is a program of its own: run --rootfs starts it inside the namespaces.
  entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts', 'run/mount-rootfs': 'src/run/mount-rootfs.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [lazyStartup],
  // execa's CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
const commonjs = {
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
};
await build({
  ...commonjs,
  entryPoints: { cli: 'src/cli.ts' },
  plugins: [lazyStartup],
  // import.meta.url as an ES module would see it (the mount-rootfs program is found beside it); strict, as a module is.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "'use strict'; var __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
await build({ ...commonjs, entryPoints: { bin: 'src/startup/bin.ts', 'code-cache': 'src/startup/code-cache.ts' }, logLevel: 'warning' });
// bin.cjs compiles the bundle as a vm.Script, which has no import(): a built-in is loaded with process.getBuiltinModule.
if (/\bimport\(/.test(readFileSync('dist/cli.cjs', 'utf8')))
  throw new Error('build: dist/cli.cjs has an import() that esbuild left (of a built-in?)');
for (const [from] of LAZY.flatMap((l) => l.edits)) {
  if (!applied.has(from)) console.warn(`build: a start-up edit no longer applies (a dependency changed): ${from}`);
}
execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', 'tsconfig.lib.json'], {
  stdio: 'inherit',
});

// The man page, from the commands and the one options table (package.json's "man" links it on install).
const scratch = mkdtempSync(join(tmpdir(), 'qemu-binfmt-man-'));
try {
  await build({
    stdin: {
      contents:
        "import { COMMANDS } from './src/commands/all.ts'; import { manPage } from './src/usage/man.ts';" +
        "import pkg from './package.json' with { type: 'json' }; export default manPage(COMMANDS, pkg.version);",
      resolveDir: '.',
      loader: 'ts',
    },
    outfile: join(scratch, 'man.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  const { default: page } = await import(pathToFileURL(join(scratch, 'man.mjs')).href);
  mkdirSync('dist/man');
  writeFileSync('dist/man/qemu-binfmt.1', page);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
chmodSync('dist/cli.js', 0o755);
chmodSync('dist/bin.cjs', 0o755);
