import assert from "node:assert/strict";
import pl from "nodejs-polars";
import * as Plot from "@observablehq/plot";
import { join } from "node:path";
import sharp from "sharp";
import { type Displayable, displayablePromise, imageGrid, markdown, plot, table } from "../lib/report/display.ts";
import { displayPath } from "../lib/report/format.ts";
import { REPO_ROOT } from "../lib/runtime/paths.ts";

Deno.test("table renders a polars DataFrame as escaped HTML and aligned text", async () => {
  const df = pl.DataFrame({ name: ["a<b", "c"], acc: [0.12345, 1] });
  const t = table(df, { caption: "Acc", digits: 2 });
  assert.match(t.bundle["text/html"], /<caption[^>]*>Acc<\/caption>/);
  assert.match(t.bundle["text/html"], /<td>a&lt;b<\/td><td style="text-align:right">0.12<\/td>/);
  assert.equal(t.bundle["text/plain"].split("\n")[1], "name  acc ");
  assert.deepEqual(await t[Symbol.for("Jupyter.display")](), t.bundle);
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

Deno.test("imageGrid's promise is displayable itself: the kernel shows it as a cell's last value without await", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const image = join(dir, "red.png");
    await sharp({ create: { width: 8, height: 8, channels: 3, background: "#dd2222" } }).png().toFile(image);
    const pending = imageGrid([{ image, caption: "red <square>" }], { size: 16 });
    // what the kernel does with a cell's last value: await value[Symbol.for("Jupyter.display")]()
    const shown = await (pending as unknown as Displayable)[Symbol.for("Jupyter.display")]();
    const grid = await pending;
    assert.deepEqual(shown, grid.bundle);
    assert.match(shown["text/html"], /<img src="data:image\/png;base64,[^"]+" width="16" height="16" alt="red &lt;square&gt;"\/>/);
    assert.equal(shown["text/plain"], "red <square>");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("displayablePromise passes a rejection on to the kernel's display call", async () => {
  const failing = displayablePromise(Promise.reject(new Error("no such image")));
  await assert.rejects(() => (failing as unknown as Displayable)[Symbol.for("Jupyter.display")](), /no such image/);
  await assert.rejects(failing, /no such image/);
});

Deno.test("displayPath: files inside the project are shown relative to its root, others unchanged", () => {
  assert.equal(displayPath(join(REPO_ROOT, "outputs", "results", "01.parquet")), "outputs/results/01.parquet");
  assert.equal(displayPath("/srv/x/outputs/a.parquet", "/srv/x"), "outputs/a.parquet");
  assert.equal(displayPath("/srv/other/a.parquet", "/srv/x"), "/srv/other/a.parquet", "outside the project: the path as it is");
  assert.equal(displayPath("/srv/x", "/srv/x"), "/srv/x", "the root itself is not shown as an empty string");
});
