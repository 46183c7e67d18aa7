/**
 * scripts/notebook_metrics.ts on a tiny notebook made here, whose counts are known by construction: code
 * lines leave out blank and comment-only lines (doc comments included), a multi-line string's lines are
 * code, a `!` in a string or comment is not an assertion.
 */
import assert from "node:assert/strict";
import { cellCode, median, metricsTable, type NotebookJson, notebookMetrics, overall } from "../scripts/notebook_metrics.ts";

const LONG = `const long = "${"x".repeat(100)}";`; // 117 characters

const TOY: NotebookJson = {
  cells: [
    { cell_type: "markdown", source: "# Not code\nconst ignored = a!;" },
    // 3 code lines, 3 assertions; a line comment, a block comment and a doc comment are not code
    { cell_type: "code", source: ["import * as sl from \"../lib/mod.ts\";\n", "\n", "// a comment, x!\n", "const x = sl.a()!;\n", "/* block\n", "   comment */\n", "/** doc */\n", "const y = x!.b!;"] },
    // 3 code lines (a template literal over two lines, a long line), 1 line over 110 characters
    { cell_type: "code", source: `const s = \`a\nb!\`;\n${LONG}` },
    // an empty cell: 0 code lines
    { cell_type: "code", source: [] },
    // 1 code line: "//" inside a string is not a comment
    { cell_type: "code", source: "// only a comment\nconst u = \"// not a comment!\";\n" },
  ],
};

Deno.test("cellCode counts code lines and non-null assertions, not comments or strings", () => {
  assert.deepEqual(cellCode("// a\n\nconst a = f()!; // b!\n/* c\n d */\nlet t = `x\n// y`;"), { codeLines: 3, nonNullAssertions: 1 });
  assert.deepEqual(cellCode(""), { codeLines: 0, nonNullAssertions: 0 });
});

Deno.test("median of odd, even and empty lists", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 0]), 2);
  assert.equal(median([]), 0);
});

Deno.test("notebookMetrics on a notebook with known counts, and the row over several notebooks", () => {
  assert.equal(LONG.length > 110, true);
  const m = notebookMetrics("toy", TOY);
  assert.deepEqual(
    { ...m },
    { notebook: "toy", codeLines: 7, codeCells: 4, medianCellLines: 2, longestCell: { lines: 3, at: "cell 2" }, linesOver110: 1, nonNullAssertions: 3, cellLines: [3, 3, 0, 1] },
  );
  const all = overall([m, notebookMetrics("small", { cells: [{ cell_type: "code", source: "a!;\nb;\nc;\nd;" }] })]);
  assert.deepEqual(
    { ...all },
    { notebook: "all notebooks", codeLines: 11, codeCells: 5, medianCellLines: 3, longestCell: { lines: 4, at: "small cell 1" }, linesOver110: 1, nonNullAssertions: 4, cellLines: [3, 3, 0, 1, 4] },
  );
  const table = metricsTable([m, all]).split("\n");
  assert.equal(table.length, 4);
  assert.match(table[0], /^\| notebook \| code lines \| code cells \|/);
  assert.equal(table[2], "| toy | 7 | 4 | 2 | 3 (cell 2) | 1 | 3 |");
});
