// The root entry is the API a user holds in their head: few names, each documented with an
// example and, where it can fail, the error codes it throws. This test keeps README's claim true.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import * as root from '../../../src/index.js';
import * as protocol from '../../../src/protocol.js';

const MAX_ROOT_EXPORTS = 40;


interface ExportDoc {
  name: string;
  hasDoc: boolean;
  hasExample: boolean;
  hasThrows: boolean;
  mayThrow: boolean;
}

// A function or class that throws, asserts or builds a ProtocolError must say which codes escape.
const THROWS = /\bthrow\b|\bnew ProtocolError\b|\bassert[A-Z]\w*\(/;

function rootExportDocs(): ExportDoc[] {
  const entry = fileURLToPath(new URL('../../../src/index.ts', import.meta.url));
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error('root entry did not parse');
  const docs: ExportDoc[] = [];
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (!(target.flags & ts.SymbolFlags.Value)) continue;
    const decl = target.declarations?.find((d) => !ts.isFunctionDeclaration(d) || d.body !== undefined) ?? target.declarations?.[0];
    if (!decl) throw new Error(`no declaration for ${symbol.name}`);
    const withDocs = target.declarations ?? [decl];
    const jsdoc = withDocs.flatMap((d) => ts.getJSDocCommentsAndTags(d)).filter(ts.isJSDoc);
    const tags = withDocs.flatMap((d) => ts.getJSDocTags(d)).map((t) => t.tagName.text);
    const callable = ts.isFunctionDeclaration(decl) || ts.isClassDeclaration(decl);
    docs.push({
      name: symbol.name,
      hasDoc: jsdoc.some((d) => typeof d.comment === 'string' ? d.comment.trim() !== '' : (d.comment?.length ?? 0) > 0),
      hasExample: tags.includes('example'),
      hasThrows: tags.includes('throws'),
      mayThrow: callable && THROWS.test(decl.getText()),
    });
  }
  return docs.sort((a, b) => a.name.localeCompare(b.name));
}

const docs = rootExportDocs();

describe('root entry', () => {
  it('the compiler and the runtime agree on the root runtime exports', () => {
    expect(docs.map((d) => d.name)).toEqual(Object.keys(root).sort((a, b) => a.localeCompare(b)));
  });

  it(`exports at most ${MAX_ROOT_EXPORTS} runtime values`, () => {
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.length).toBeLessThanOrEqual(MAX_ROOT_EXPORTS);
  });

  it('every runtime export has TSDoc with an @example', () => {
    const missing = docs.filter((d) => !(d.hasDoc && d.hasExample)).map((d) => d.name);
    expect(missing).toEqual([]);
  });

  it('every runtime export that can throw names its codes with @throws', () => {
    const missing = docs.filter((d) => d.mayThrow && !d.hasThrows).map((d) => d.name);
    expect(missing).toEqual([]);
  });

  it('the root and sealwire/protocol share no runtime name', () => {
    expect(Object.keys(protocol).filter((name) => name in root)).toEqual([]);
  });
});

describe('DEFAULTS', () => {
  it('is frozen, rates included, and carries every DEFAULT_* value of sealwire/protocol', () => {
    expect(Object.isFrozen(root.DEFAULTS)).toBe(true);
    expect(Object.isFrozen(root.DEFAULTS.connectionRate)).toBe(true);
    const values = Object.values(root.DEFAULTS).map((v) => JSON.stringify(v));
    const constants = Object.entries(protocol).filter(([name]) => name.startsWith('DEFAULT_'));
    expect(constants.length).toBe(Object.keys(root.DEFAULTS).length);
    for (const [name, value] of constants) expect(values, name).toContain(JSON.stringify(value));
  });
});

describe('package.json exports', () => {
  it('every subpath, sealwire/protocol and sealwire/errors included, builds from a source file', async () => {
    const { readFile, access } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, string | { types: string; default: string }>;
    };
    expect(Object.keys(pkg.exports)).toEqual(expect.arrayContaining(['.', './protocol', './errors']));
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(target.types.replace(/\.d\.ts$/, ''), subpath).toBe(target.default.replace(/\.js$/, ''));
      const source = target.default.replace(/^\.\/dist\//, '../../../src/').replace(/\.js$/, '.ts');
      await expect(access(new URL(source, import.meta.url)), subpath).resolves.toBeUndefined();
    }
  });

  it('sealwire/errors carries the error type and nothing else', async () => {
    const errors = await import('../../../src/errors-entry.js');
    expect(Object.keys(errors).sort()).toEqual(['ERROR_CODES', 'ProtocolError', 'isProtocolError']);
    expect(errors.ProtocolError).toBe(root.ProtocolError);
  });
});
