import assert from "node:assert/strict";
import pl from "nodejs-polars";
import * as Plot from "@observablehq/plot";
import { markdown, plot, table } from "../lib/report/display.ts";

Deno.test("table renders a polars DataFrame as escaped HTML and aligned text", () => {
  const df = pl.DataFrame({ name: ["a<b", "c"], acc: [0.12345, 1] });
  const t = table(df, { caption: "Acc", digits: 2 });
  assert.match(t.bundle["text/html"], /<caption[^>]*>Acc<\/caption>/);
  assert.match(t.bundle["text/html"], /<td>a&lt;b<\/td><td style="text-align:right">0.12<\/td>/);
  assert.equal(t.bundle["text/plain"].split("\n")[1], "name  acc ");
  assert.deepEqual(t[Symbol.for("Jupyter.display")](), t.bundle);
});

Deno.test("table cuts long tables and says how many rows are hidden", () => {
  const rows = Array.from({ length: 10 }, (_, i) => ({ i }));
  assert.match(table(rows, { maxRows: 3 }).bundle["text/html"], /7 more rows/);
});

Deno.test("plot renders Observable Plot to standalone SVG", () => {
  const p = plot({ marks: [Plot.dot([{ x: 1, y: 2 }, { x: 3, y: 1 }], { x: "x", y: "y" })] });
  const svg = p.bundle["image/svg+xml"];
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<circle/g) ?? []).length, 2);
  assert.equal(markdown("**x**").bundle["text/markdown"], "**x**");
});
