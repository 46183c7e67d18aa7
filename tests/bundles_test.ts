/**
 * The MIME bundles the Deno kernel actually sends for every kind of output (not the HTML report):
 * a polars table, a config table, Plot SVG, a Plot figure with a legend, a progress display and its
 * updates, markdown and an image grid each carry text/plain plus a type that the classic Notebook,
 * JupyterLab and VS Code all render, with the values in them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureRunnerKernel, pythonPath } from "../scripts/setup.ts";
import { type KernelMessage, notebookBundleProblems, readMessages, runNotebooks } from "../scripts/notebook_runner.ts";
import { REPO_ROOT } from "../lib/runtime/paths.ts";
import { bundleProblems } from "../lib/report/display.ts";
import { SHOWCASE, showcaseCells, writeShowcase } from "./fixtures/showcase.ts";

Deno.test("the kernel sends every table, figure and progress display as a bundle every front end renders", async () => {
  const dir = await Deno.makeTempDir({ dir: join(REPO_ROOT, "outputs"), prefix: ".bundles-" });
  try {
    const path = await writeShowcase(dir);
    const [r] = await runNotebooks([path], {
      outDir: join(dir, "out"),
      python: pythonPath(),
      jupyterPath: await ensureRunnerKernel(),
      progress: false,
      messages: true,
    });
    assert.equal(r.ok, true, `cell ${r.failed_cell}: ${r.error}`);
    const messages = await readMessages(r);
    const names = showcaseCells("x").map((c) => c.name);
    const rich = (name: string): KernelMessage[] =>
      messages.filter((m) => m.cell === names.indexOf(name) + 2 && m.content.data !== undefined);
    const one = (name: string) => {
      const ms = rich(name).filter((m) => m.msg_type !== "update_display_data");
      assert.equal(ms.length, 1, `${name}: one output, got ${ms.map((m) => m.msg_type)}`);
      return ms[0].content.data!;
    };

    for (const name of names.filter((n) => n !== "bare DataFrame")) {
      for (const m of rich(name)) assert.deepEqual(bundleProblems(m.content.data!), [], `${name} (${m.msg_type})`);
    }

    const t = one("polars table");
    for (const [i, enc] of SHOWCASE.encoders.entries()) {
      assert.match(t["text/html"], new RegExp(`<td>${enc}</td><td style="text-align:right">${SHOWCASE.top1[i].toFixed(4)}</td>`));
      assert.match(t["text/plain"], new RegExp(`${enc}\\s+${SHOWCASE.top1[i].toFixed(4)}`));
    }
    assert.match(one("config table")["text/html"], new RegExp(`<td>seed</td><td>${SHOWCASE.configSeed}</td>`));

    const svg = one("plot svg");
    assert.equal(svg["text/html"], svg["image/svg+xml"]);
    assert.equal((svg["image/svg+xml"].match(/<circle/g) ?? []).length, SHOWCASE.encoders.length);
    const legend = one("plot with legend")["text/html"];
    assert.match(legend, /^<figure[\s\S]*<svg[\s\S]*<\/figure>$/);
    for (const enc of SHOWCASE.encoders) assert.match(legend, new RegExp(`>${enc}<`), `legend names ${enc}`);

    const bar = rich("progress");
    assert.equal(bar[0].msg_type, "display_data");
    const id = bar[0].content.transient?.display_id;
    assert.ok(id, "the progress display has a display id");
    const updates = bar.slice(1);
    assert.ok(updates.length >= SHOWCASE.progressTotal, `${updates.length} updates`);
    assert.ok(updates.every((m) => m.msg_type === "update_display_data" && m.content.transient?.display_id === id));
    const last = updates.at(-1)!.content.data!;
    assert.match(last["text/plain"], new RegExp(`showcase steps {2}${SHOWCASE.progressTotal}/${SHOWCASE.progressTotal} \\(100%\\).*finished`));
    assert.match(last["text/html"], /width:100\.0%/);

    assert.equal(one("markdown")["text/markdown"], SHOWCASE.markdown);
    const grid = one("image grid");
    assert.equal((grid["text/html"].match(/<img src="data:image\/png;base64,/g) ?? []).length, 2);
    assert.equal(grid["text/plain"], SHOWCASE.gridCaptions.join(", "));

    // What the kernel does with a bare DataFrame: a vendor type and no text/plain. The check catches it.
    const bare = one("bare DataFrame");
    assert.ok("application/vnd.dataresource+json" in bare, Object.keys(bare).join(", "));
    assert.ok(bundleProblems(bare).some((p) => /text\/plain/.test(p)));
    // The same check on the executed notebook (what `deno task reproduce` prints) names only that cell.
    const bareCell = names.indexOf("bare DataFrame") + 2;
    assert.deepEqual([...new Set((await notebookBundleProblems(r.ipynb)).map((p) => p.cell))], [bareCell]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
