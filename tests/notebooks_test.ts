import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { REPO_ROOT } from "../lib/runtime/paths.ts";
import ts from "typescript";

interface Cell {
  cell_type: string;
  source: string | string[];
}
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);
const dir = join(REPO_ROOT, "notebooks");
const notebooks = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".ipynb")).map((e) => join(dir, e.name)).sort();
const read = (p: string) => JSON.parse(Deno.readTextFileSync(p)) as { cells: Cell[]; metadata: { kernelspec?: { name: string } } };

Deno.test("there is one notebook per paper section, 00 to 07, and the leaderboard (08)", () => {
  assert.deepEqual(notebooks.map((p) => basename(p).slice(0, 3)), ["00_", "01_", "02_", "03_", "04_", "05_", "06_", "07_", "08_"]);
});

/** The calls in a notebook's code (comments and strings cannot satisfy a check): callee text and first argument if a string literal. */
function callsOf(code: string): { callee: string; arg?: string }[] {
  const file = ts.createSourceFile("nb.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: { callee: string; arg?: string }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const first = node.arguments[0];
      out.push({ callee: node.expression.getText(file), arg: first && ts.isStringLiteralLike(first) ? first.text : undefined });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

Deno.test("callsOf sees calls, not comments or strings", () => {
  const calls = callsOf(`// sl.finding([])\nconst s = "sl.recordFigures('x')";\nawait sl.writeResults("01", df);\nsl.finding([s]);`);
  assert.deepEqual(calls.map((c) => c.callee), ["sl.writeResults", "sl.finding"]);
  assert.equal(calls[0].arg, "01");
});

Deno.test("every section notebook: Deno kernel, scale switch, preflight, results, summary figures, a computed finding, the paper cited", () => {
  for (const p of notebooks.filter((p) => !basename(p).startsWith("00_"))) {
    const nb = read(p), name = basename(p, ".ipynb");
    assert.equal(nb.metadata.kernelspec?.name, "deno", `${name}: kernel`);
    const calls = callsOf(nb.cells.filter((c) => c.cell_type === "code").map(text).join("\n\n"));
    const md = nb.cells.filter((c) => c.cell_type === "markdown").map(text).join("\n");
    const called = (callee: string, arg?: string) => calls.some((c) => c.callee === callee && (arg === undefined || c.arg === arg));
    assert.ok(called("sl.checkEnvironment"), `${name}: the scale switch (SHARELOCK_SCALE, every variable checked)`);
    assert.ok(called("sl.preflight") || called("sl.captionNotebookSetup") || called("sl.probingContexts"), `${name}: a preflight check`);
    assert.ok(called("sl.recordFigures", name), `${name}: key figures into summary.json`);
    assert.ok(called("sl.writeResults", name), `${name}: raw results parquet`);
    assert.ok(called("sl.finding"), `${name}: the finding is written by sl.finding from this run's numbers`);
    const cachedSteps = ["sl.progress", "sl.cachedProbingRun", "sl.cachedProbingRuns", "sl.captionModel", "sl.captionModels", "sl.captionGrid", "sl.probeVisionEncoders", "sl.probingGrid", "sl.scoreEncoderList"];
    assert.ok(cachedSteps.some((f) => called(f)), `${name}: long steps show progress or are cached`);
    assert.match(md, /data\/paper\//, `${name}: cites the paper's table it shows`);
  }
});

Deno.test("every notebook's code type-checks as one module", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const files: string[] = [];
    for (const p of notebooks) {
      const code = read(p).cells.filter((c) => c.cell_type === "code").map(text).join("\n\n")
        .replaceAll(`"../lib/mod.ts"`, JSON.stringify(join(REPO_ROOT, "lib", "mod.ts")));
      const f = join(tmp, `${basename(p, ".ipynb")}.ts`);
      await Deno.writeTextFile(f, `${code}\nexport {};\n`);
      files.push(f);
    }
    const out = await new Deno.Command(Deno.execPath(), { args: ["check", "--config", join(REPO_ROOT, "deno.json"), ...files], cwd: REPO_ROOT, stdout: "piped", stderr: "piped" }).output();
    const msg = new TextDecoder().decode(out.stderr).replace(/\x1b\[[0-9;]*m/g, "");
    assert.ok(out.success, `type errors in notebook code:\n${msg.slice(0, 3000)}`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

/**
 * Statements in a cell that start with a call to an async export of lib and do not await it: its promise
 * floats, so what it displays or prints goes out after the cell has finished (the Deno kernel then sends
 * it under the next cell's request, or after `idle`, where the classic Notebook drops it), and as the
 * cell's last expression the cell shows `Promise { <pending> }`. Comments are ignored. Pure.
 */
export function unawaitedAsyncCalls(source: string, asyncNames: ReadonlySet<string>): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
  return [...code.matchAll(/(?:^|[;{}]|\n)\s*(?:void\s+)?sl\.(\w+)\s*\(/g)].filter((m) => asyncNames.has(m[1])).map((m) => `sl.${m[1]}(`);
}

Deno.test("unawaitedAsyncCalls finds floating lib promises, not awaited or passed-on ones", () => {
  const names = new Set(["show", "captionModel"]);
  assert.deepEqual(unawaitedAsyncCalls(`const x = 1;\nsl.show(sl.table(df))`, names), ["sl.show("]);
  assert.deepEqual(unawaitedAsyncCalls(`for (const t of ts) { sl.show(t); }\nvoid sl.captionModel(c)`, names), ["sl.show(", "sl.captionModel("]);
  assert.deepEqual(
    unawaitedAsyncCalls(`await sl.show(a);\nconst m = await sl.captionModel(c);\nawait Promise.all(xs.map((x) => sl.captionModel(x)));\n// sl.show(x)\nsl.table(df)`, names),
    [],
  );
});

Deno.test("every notebook awaits lib's async calls (a floating one prints Promise { <pending> } or lands under the next cell)", async () => {
  const sl = await import("../lib/mod.ts");
  const asyncNames = new Set(Object.entries(sl).filter(([, v]) => typeof v === "function" && v.constructor.name === "AsyncFunction").map(([k]) => k));
  assert.ok(asyncNames.has("show") && asyncNames.has("captionModel"), "async exports found");
  const found: string[] = [];
  for (const p of notebooks) {
    read(p).cells.forEach((c, i) => {
      if (c.cell_type !== "code") return;
      for (const call of unawaitedAsyncCalls(text(c), asyncNames)) found.push(`${basename(p, ".ipynb")} cell ${i + 1}: ${call}...) without await`);
    });
  }
  assert.deepEqual(found, [], `await these calls:\n${found.join("\n")}`);
});
