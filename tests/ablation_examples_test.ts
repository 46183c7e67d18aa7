import assert from "node:assert/strict";
import { applyEdit, EXAMPLES, exampleMarkdown, shownOutputs } from "../scripts/ablation_examples.ts";
import type { NotebookJson } from "../lib/report/executed.ts";

const nb = (sources: string[]): NotebookJson => ({
  cells: sources.map((s) => ({ cell_type: "code", source: s, outputs: [{ output_type: "stream", text: "old" }], execution_count: 3 })),
  metadata: {},
  nbformat: 4,
  nbformat_minor: 5,
});
const src = (n: NotebookJson, i: number) => [n.cells[i].source].flat().join("");

Deno.test("applyEdit replaces exactly one line of one code cell and clears that cell's outputs", () => {
  const before = nb(["const A = 1;\nconst CONFIG = {\n  t: [1, 2],\n};", "sl.x()"]);
  const after = applyEdit(before, "  t: [1, 2],", "  t: [1, 2, 3],");
  assert.equal(src(after, 0), "const A = 1;\nconst CONFIG = {\n  t: [1, 2, 3],\n};");
  assert.deepEqual(after.cells[0].outputs, []);
  assert.equal(src(after, 1), "sl.x()");
  assert.equal(after.cells[1].outputs?.length, 1);
  assert.equal(src(before, 0), "const A = 1;\nconst CONFIG = {\n  t: [1, 2],\n};", "the input is left as it was");
});

Deno.test("applyEdit refuses a line that is missing, only part of a line, or there twice", () => {
  assert.throws(() => applyEdit(nb(["a\nb"]), "c", "d"), /occurs 0 times/);
  assert.throws(() => applyEdit(nb(["abc"]), "b", "d"), /occurs 0 times/);
  assert.throws(() => applyEdit(nb(["a", "a"]), "a", "d"), /occurs 2 times/);
});

Deno.test("every example's line is in its notebook exactly once, and its edit changes the line", () => {
  for (const ex of EXAMPLES) {
    const notebook = JSON.parse(Deno.readTextFileSync(new URL(`../notebooks/${ex.notebook}.ipynb`, import.meta.url))) as NotebookJson;
    assert.notEqual(ex.from, ex.to, ex.id);
    const edited = applyEdit(notebook, ex.from, ex.to);
    const changed = edited.cells.filter((c, i) => src(edited, i) !== [notebook.cells[i].source].flat().join(""));
    assert.equal(changed.length, 1, `${ex.id}: one cell changes`);
  }
});

Deno.test("shownOutputs finds the named tables and the finding, and says what is missing", () => {
  const run = nb(["x", "y"]);
  run.cells[0].outputs = [{ output_type: "display_data", data: { "text/plain": ["Temperature (%, mean)\n", "τ = 0.01  3.19"] } }];
  run.cells[1].outputs = [{ output_type: "display_data", data: { "text/markdown": "**Finding (this run).** Every variant ..." } }];
  const shown = shownOutputs(run, ["Temperature ("]);
  assert.deepEqual(shown.tables, ["Temperature (%, mean)\nτ = 0.01  3.19"]);
  assert.match(shown.finding, /^\*\*Finding \(this run\)\.\*\* Every variant/);
  assert.throws(() => shownOutputs(run, ["Loss ("]), /no output starts with "Loss \("/);
  assert.throws(() => shownOutputs(nb(["x"]), []), /no finding/);
  const md = exampleMarkdown(EXAMPLES[0], shown);
  assert.ok(md.includes(`-${EXAMPLES[0].from}\n+${EXAMPLES[0].to}`), "the diff of the one line");
  assert.ok(md.includes("> **Finding (this run).** Every variant"));
});
