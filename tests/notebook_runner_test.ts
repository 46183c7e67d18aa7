import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureRunnerKernel, pythonPath } from "../scripts/setup.ts";
import { notebookBundleProblems, runNotebooks } from "../scripts/notebook_runner.ts";
import { REPO_ROOT } from "../lib/runtime/paths.ts";

// deno-lint-ignore no-explicit-any
type Nb = any;

function notebook(cells: string[]): Nb {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
  };
}

async function writeNotebook(dir: string, name: string, cells: string[]): Promise<string> {
  const path = join(dir, `${name}.ipynb`);
  await Deno.writeTextFile(path, JSON.stringify(notebook(cells)));
  return path;
}

/** Plain text of an output: nbformat stores multi-line text as a list of lines; Deno colours results. */
const text = (t: string | string[] | undefined) =>
  t === undefined ? undefined : (Array.isArray(t) ? t.join("") : t).replace(/\x1b\[[0-9;]*m/g, "");

async function env() {
  return { python: pythonPath(), jupyterPath: await ensureRunnerKernel(), progress: false };
}

Deno.test("runner keeps every output of a 30-cell notebook, 5 runs in a row", async () => {
  const dir = await Deno.makeTempDir();
  const cells = Array.from({ length: 30 }, (_, i) => `console.log("line ${i}"); ${i} * 2`);
  const path = await writeNotebook(dir, "thirty", cells);
  for (let run = 1; run <= 5; run++) {
    const out = join(dir, `out${run}`);
    const [r] = await runNotebooks([path], { outDir: out, ...(await env()) });
    assert.equal(r.ok, true, `run ${run}: ${r.error}`);
    const nb: Nb = JSON.parse(await Deno.readTextFile(join(out, "thirty.ipynb")));
    nb.cells.forEach((c: Nb, i: number) => {
      const stream = c.outputs.find((o: Nb) => o.output_type === "stream");
      const result = c.outputs.find((o: Nb) => o.output_type === "execute_result");
      assert.equal(text(stream?.text), `line ${i}\n`, `run ${run}, cell ${i}: stdout missing`);
      assert.equal(text(result?.data["text/plain"]), String(i * 2), `run ${run}, cell ${i}: result missing`);
    });
  }
});

Deno.test("a cell that throws fails its notebook with the cell number and error; the next notebook still runs", async () => {
  const dir = await Deno.makeTempDir();
  const bad = await writeNotebook(dir, "bad", ["1 + 1", "const x = 3;", "throw new Error('boom at three')", "console.log('never')"]);
  const good = await writeNotebook(dir, "good", ["console.log('fine')"]);
  const [rb, rg] = await runNotebooks([bad, good], { outDir: join(dir, "out"), ...(await env()) });
  assert.equal(rb.ok, false);
  assert.equal(rb.failed_cell, 3);
  assert.match(rb.error ?? "", /boom at three/);
  const nb: Nb = JSON.parse(await Deno.readTextFile(rb.ipynb));
  assert.equal(nb.cells[3].outputs.length, 0, "cells after the failure are not run");
  assert.equal(rg.ok, true);
});

Deno.test("updated displays end in their final state and clear_output is honoured", async () => {
  const dir = await Deno.makeTempDir();
  const path = await writeNotebook(dir, "disp", [
    `for (let i = 0; i <= 5; i++) await Deno.jupyter.display({ "text/plain": "step " + i }, { raw: true, display_id: "p", update: i > 0 });`,
    `import { progress } from "${join(REPO_ROOT, "lib", "runtime", "progress.ts")}";
     const bar = progress(40, "work", { intervalMs: 0 });
     for (let i = 0; i < 40; i++) bar.tick();
     await bar.done();`,
  ]);
  const [r] = await runNotebooks([path], { outDir: join(dir, "out"), ...(await env()) });
  assert.equal(r.ok, true, r.error ?? "");
  const nb: Nb = JSON.parse(await Deno.readTextFile(r.ipynb));
  assert.deepEqual(nb.cells[0].outputs.map((o: Nb) => text(o.data["text/plain"])), ["step 5"]);
  const bar = nb.cells[1].outputs.filter((o: Nb) => o.output_type === "display_data");
  assert.equal(bar.length, 1, "one progress display, updated in place");
  assert.match(text(bar[0].data["text/plain"])!, /work {2}40\/40 \(100%\)/);
});

Deno.test("00_setup runs headless and its HTML report shows tables and the plot as SVG", async () => {
  const dir = await Deno.makeTempDir();
  const [r] = await runNotebooks([join(REPO_ROOT, "notebooks", "00_setup.ipynb")], {
    outDir: dir,
    ...(await env()),
    env: { SHARELOCK_OUTPUTS_DIR: dir },
  });
  assert.equal(r.ok, true, `cell ${r.failed_cell}: ${r.error}`);
  const html = await Deno.readTextFile(r.html!);
  assert.match(html, /<svg[^>]*>[\s\S]*<\/svg>/);
  assert.match(html, /TensorFlow.js backend: (wasm|cpu|tensorflow)/);
  assert.match(html, /<table class="sharelock-table">/);
  assert.deepEqual(await notebookBundleProblems(r.ipynb), [], "every output renders in every front end");
  const summary = JSON.parse(await Deno.readTextFile(join(dir, "summary.json")));
  assert.ok(["wasm", "cpu", "tensorflow"].includes(summary.notebooks["00_setup"].figures.tfjs_backend));
});
