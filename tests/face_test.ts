/**
 * The library's face, `lib/mod.ts`: named re-exports only (no `export *`), holding every `sl.<name>` a
 * notebook's code uses and nothing that no notebook or documentation snippet uses. Scripts and tests import
 * the modules they need by path.
 */
import assert from "node:assert/strict";
import { basename, join, relative } from "node:path";
import ts from "typescript";
import { REPO_ROOT } from "../lib/runtime/paths.ts";

/** The names used as `sl.<name>` in TypeScript code: values (`sl.table(df)`) and types (`sl.Item[]`). Pure. */
export function slNames(code: string): string[] {
  const file = ts.createSourceFile("code.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const names = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "sl") names.add(node.name.text);
    if (ts.isQualifiedName(node) && ts.isIdentifier(node.left) && node.left.text === "sl") names.add(node.right.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return [...names].sort();
}

/** What a face module exports (`names`, types included) and the statements that are not named re-exports (`other`). Pure. */
export function faceExports(source: string): { names: string[]; other: string[] } {
  const file = ts.createSourceFile("mod.ts", source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const names: string[] = [], other: string[] = [];
  for (const st of file.statements) {
    const clause = ts.isExportDeclaration(st) ? st.exportClause : undefined;
    if (ts.isExportDeclaration(st) && st.moduleSpecifier && clause && ts.isNamedExports(clause)) {
      names.push(...clause.elements.map((e) => e.name.text));
    } else {
      other.push(st.getText(file).split("\n")[0]);
    }
  }
  return { names: names.sort(), other };
}

/** The code of fenced TypeScript blocks (```ts, ```typescript) of a markdown or doc-comment text. Pure. */
export function tsBlocks(text: string): string[] {
  return [...text.matchAll(/^[ \t*]*```(?:ts|typescript)\n([\s\S]*?)^[ \t*]*```/gm)].map((m) => m[1].replace(/^[ \t]*\* ?/gm, ""));
}

interface Cell {
  cell_type: string;
  source: string | string[];
}
const rel = (p: string) => relative(REPO_ROOT, p);
const MOD = join(REPO_ROOT, "lib", "mod.ts");
const notebooks = [...Deno.readDirSync(join(REPO_ROOT, "notebooks"))].filter((e) => e.name.endsWith(".ipynb")).map((e) => join(REPO_ROOT, "notebooks", e.name)).sort();
const notebookCode = (p: string) =>
  (JSON.parse(Deno.readTextFileSync(p)) as { cells: Cell[] }).cells.filter((c) => c.cell_type === "code")
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source)).join("\n\n");
const docPages = [join(REPO_ROOT, "README.md"), ...[...Deno.readDirSync(join(REPO_ROOT, "docs"))].filter((e) => e.name.endsWith(".md")).map((e) => join(REPO_ROOT, "docs", e.name)).sort()];
/** Code that a front end generates with `import * as sl from ".../lib/mod.ts"` (the output showcase, the late-output check). */
const GENERATED = [join(REPO_ROOT, "tests", "fixtures", "showcase.ts"), join(REPO_ROOT, "scripts", "late_output.py")];
const face = () => faceExports(Deno.readTextFileSync(MOD));

/** Exports that no notebook or snippet uses, each with why the face keeps it. */
const UNUSED_ON_PURPOSE: Record<string, string> = {
  progress: "a bar for a notebook cell of a user's own long loop; the front-end fixtures (tests/fixtures/showcase.ts, scripts/late_output.py) use it",
};

Deno.test("slNames sees sl.<name> in code and types, not in comments or strings; faceExports and tsBlocks read what they should", () => {
  assert.deepEqual(slNames(`// sl.hidden()\nconst s = "sl.alsoHidden";\nconst r: sl.Row[] = await sl.runs(sl.CONFIG.seeds);\nfunction f(x: sl.Item) {}`), ["CONFIG", "Item", "Row", "runs"]);
  assert.deepEqual(
    faceExports(`/** doc */\nexport { a, type B } from "./a.ts";\nexport * from "./c.ts";\nexport const d = 1;\nexport {\n  e,\n} from "./e.ts";`),
    { names: ["B", "a", "e"], other: [`export * from "./c.ts";`, "export const d = 1;"] },
  );
  assert.deepEqual(tsBlocks("text\n```ts\nsl.a();\n```\n```sh\nsl.b\n```\n * ```ts\n * sl.c();\n * ```\n"), ["sl.a();\n", "sl.c();\n"]);
});

Deno.test("lib/mod.ts is named re-exports only: no export *, no code of its own", () => {
  assert.deepEqual(face().other, [], "lib/mod.ts: statements that are not `export { ... } from`");
  assert.ok(face().names.length > 0, "lib/mod.ts exports names");
});

Deno.test("every sl.<name> in a notebook's code is exported by lib/mod.ts", () => {
  const exported = new Set(face().names);
  const missing = notebooks.flatMap((p) => slNames(notebookCode(p)).filter((n) => !exported.has(n)).map((n) => `${basename(p)}: sl.${n}`));
  assert.deepEqual(missing, [], `not exported by lib/mod.ts:\n${missing.join("\n")}`);
});

Deno.test("every sl.<name> in the documentation and in generated notebook code is exported by lib/mod.ts", () => {
  const exported = new Set(face().names);
  const missing = [...docPages, ...GENERATED].flatMap((p) =>
    [...new Set([...Deno.readTextFileSync(p).matchAll(/\bsl\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1]))].filter((n) => !exported.has(n)).map((n) => `${rel(p)}: sl.${n}`)
  );
  assert.deepEqual(missing, [], `not exported by lib/mod.ts:\n${missing.join("\n")}`);
});

Deno.test("every name lib/mod.ts exports is used by a notebook or a documentation snippet (the face stays curated)", () => {
  const used = new Set([
    ...notebooks.flatMap((p) => slNames(notebookCode(p))),
    ...[...docPages, MOD].flatMap((p) => tsBlocks(Deno.readTextFileSync(p)).flatMap(slNames)),
  ]);
  const unused = face().names.filter((n) => !used.has(n) && !(n in UNUSED_ON_PURPOSE));
  assert.deepEqual(unused, [], `exported by lib/mod.ts but used by no notebook or snippet (drop them, or list them in UNUSED_ON_PURPOSE with a reason):\n${unused.join("\n")}`);
  const stale = Object.keys(UNUSED_ON_PURPOSE).filter((n) => used.has(n) || !face().names.includes(n));
  assert.deepEqual(stale, [], "UNUSED_ON_PURPOSE lists names that are used, or not exported");
});
