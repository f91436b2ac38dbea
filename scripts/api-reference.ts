/**
 * Generates docs/api.md, the API reference, from the package's entry point (src/index.ts) with the
 * TypeScript compiler API: every exported function (signature and TSDoc), class, options interface
 * (each property with its type and TSDoc) and constant (its value). Formatted by Biome, so the file
 * passes `npm run lint` as written.
 *
 *   node scripts/api-reference.ts           # writes docs/api.md
 *   node scripts/api-reference.ts --check   # exits 1 when docs/api.md is not what it would write
 *
 * test/docs/api-reference.test.ts runs the same check in `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ENTRY = join(ROOT, 'src/index.ts');
export const API_REFERENCE_PATH = join(ROOT, 'docs/api.md');

const TYPE_FLAGS =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType |
  ts.TypeFormatFlags.WriteArrayAsGenericType;

interface Entry {
  readonly name: string;
  readonly symbol: ts.Symbol;
  readonly declaration: ts.Declaration;
}

function program(): ts.Program {
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, configPath);
  return ts.createProgram([ENTRY], { ...parsed.options, noEmit: true });
}

/**
 * Documentation text of a symbol: its TSDoc summary, on one line, `{@link X}` as `X`. A file's
 * header comment directly above its first export is the file's, not that export's: skipped.
 */
function docOf(symbol: ts.Symbol, checker: ts.TypeChecker): string {
  const declaration = symbol.declarations?.[0];
  if (declaration) {
    const statement = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
    const file = statement.getSourceFile();
    if (file.statements[0] === statement) {
      const docs = (ts.getLeadingCommentRanges(file.text, statement.pos) ?? []).filter((range) =>
        file.text.startsWith('/**', range.pos),
      );
      if (docs.at(-1)?.pos === 0) return '';
    }
  }
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim();
}

/** Text safe inside a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function relativeSource(declaration: ts.Declaration): string {
  const file = declaration.getSourceFile().fileName;
  return file.startsWith(ROOT) ? file.slice(ROOT.length) : file;
}

function entries(checker: ts.TypeChecker, source: ts.SourceFile): Entry[] {
  const module = checker.getSymbolAtLocation(source);
  if (module === undefined) throw new Error('src/index.ts has no exports');
  return checker.getExportsOfModule(module).flatMap((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declaration = symbol.declarations?.[0];
    return declaration === undefined ? [] : [{ name: exported.name, symbol, declaration }];
  });
}

function byName(a: Entry, b: Entry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function renderFunction(entry: Entry, checker: ts.TypeChecker): string[] {
  const type = checker.getTypeOfSymbolAtLocation(entry.symbol, entry.declaration);
  const signatures = type
    .getCallSignatures()
    .map(
      (signature) => `function ${entry.name}${checker.signatureToString(signature, undefined, TYPE_FLAGS)}`,
    );
  const lines = [`### \`${entry.name}()\``, '', '```ts', ...signatures, '```', ''];
  const doc = docOf(entry.symbol, checker);
  if (doc !== '') lines.push(doc, '');
  lines.push(`Source: \`${relativeSource(entry.declaration)}\``, '');
  return lines;
}

function renderClass(entry: Entry, checker: ts.TypeChecker): string[] {
  const lines = [`### \`${entry.name}\` (class)`, ''];
  const doc = docOf(entry.symbol, checker);
  if (doc !== '') lines.push(doc, '');
  const instance = checker.getDeclaredTypeOfSymbol(entry.symbol);
  const properties = instance
    .getProperties()
    .filter((property) => property.valueDeclaration?.parent === entry.declaration);
  if (properties.length > 0) {
    lines.push('| property | type | |', '| --- | --- | --- |');
    for (const property of properties) {
      const declaration = property.valueDeclaration as ts.Declaration;
      const propertyType = checker.typeToString(
        checker.getTypeOfSymbolAtLocation(property, declaration),
        undefined,
        TYPE_FLAGS,
      );
      lines.push(
        `| \`${property.name}\` | ${cell(code(propertyType))} | ${cell(docOf(property, checker))} |`,
      );
    }
    lines.push('');
  }
  lines.push(`Source: \`${relativeSource(entry.declaration)}\``, '');
  return lines;
}

function renderInterface(entry: Entry, checker: ts.TypeChecker): string[] {
  const lines = [`### \`${entry.name}\``, ''];
  const doc = docOf(entry.symbol, checker);
  if (doc !== '') lines.push(doc, '');
  const type = checker.getDeclaredTypeOfSymbol(entry.symbol);
  const properties = type.getProperties();
  if (properties.length > 0) {
    lines.push('| property | type | |', '| --- | --- | --- |');
    for (const property of properties) {
      const declaration = property.declarations?.[0];
      const propertyType =
        declaration === undefined
          ? 'unknown'
          : checker.typeToString(
              checker.getTypeOfSymbolAtLocation(property, declaration),
              undefined,
              TYPE_FLAGS,
            );
      const optional = property.flags & ts.SymbolFlags.Optional ? '?' : '';
      lines.push(
        `| \`${property.name}${optional}\` | ${cell(code(propertyType))} | ${cell(docOf(property, checker))} |`,
      );
    }
    lines.push('');
  } else {
    const declared = checker.typeToString(type, undefined, TYPE_FLAGS);
    lines.push('```ts', `type ${entry.name} = ${declared}`, '```', '');
  }
  lines.push(`Source: \`${relativeSource(entry.declaration)}\``, '');
  return lines;
}

function renderConstants(constants: Entry[], checker: ts.TypeChecker): string[] {
  const lines = ['| constant | value | |', '| --- | --- | --- |'];
  for (const entry of constants) {
    const type = checker.getTypeOfSymbolAtLocation(entry.symbol, entry.declaration);
    const value = checker.typeToString(type, undefined, TYPE_FLAGS);
    lines.push(`| \`${entry.name}\` | ${cell(code(value))} | ${cell(docOf(entry.symbol, checker))} |`);
  }
  return [...lines, ''];
}

/** The Markdown of docs/api.md, before formatting. */
export function renderApiReferenceSource(): string {
  const built = program();
  const checker = built.getTypeChecker();
  const source = built.getSourceFile(ENTRY);
  if (source === undefined) throw new Error(`cannot read ${ENTRY}`);
  const all = entries(checker, source);
  const of = (flag: ts.SymbolFlags) => all.filter((entry) => entry.symbol.flags & flag);
  const functions = of(ts.SymbolFlags.Function).sort(byName);
  const classes = of(ts.SymbolFlags.Class).sort(byName);
  const types = of(ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias).sort(byName);
  const constants = of(ts.SymbolFlags.Variable).sort(
    (a, b) =>
      relativeSource(a.declaration).localeCompare(relativeSource(b.declaration)) ||
      a.declaration.pos - b.declaration.pos,
  );
  const lines = [
    '# API reference',
    '',
    'For developers calling the package from code: every export of `llm-otel-dispatcher`, with its',
    'signature and TSDoc. Generated from `src/index.ts` by `node scripts/api-reference.ts`; do not edit',
    'by hand (`npm test` fails when it is stale). How to use them: [configuration](configuration.md).',
    '',
    '## Functions',
    '',
    ...functions.flatMap((entry) => renderFunction(entry, checker)),
    '## Classes',
    '',
    ...classes.flatMap((entry) => renderClass(entry, checker)),
    '## Options and other types',
    '',
    ...types.flatMap((entry) => renderInterface(entry, checker)),
    '## Constants',
    '',
    'Telemetry names and well-known values (`src/semconv/names.ts`); what each means:',
    '[telemetry reference](telemetry.md).',
    '',
    ...renderConstants(constants, checker),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Formats Markdown as `npm run format` would write docs/api.md. */
function formatWithBiome(markdown: string): string {
  const biome = join(ROOT, 'node_modules/.bin/biome');
  const result = spawnSync(biome, ['format', '--stdin-file-path=docs/api.md'], {
    cwd: ROOT,
    input: markdown,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}

/** docs/api.md as the current source would generate it. */
export function renderApiReference(): string {
  return formatWithBiome(renderApiReferenceSource());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const generated = renderApiReference();
  if (process.argv.includes('--check')) {
    const current = readFileSync(API_REFERENCE_PATH, 'utf8');
    if (current !== generated) {
      console.error('docs/api.md is stale: run node scripts/api-reference.ts');
      process.exit(1);
    }
  } else {
    writeFileSync(API_REFERENCE_PATH, generated);
    console.log(`wrote ${API_REFERENCE_PATH}`);
  }
}
