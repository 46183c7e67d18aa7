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

/** Run `run_notebooks.py` on `paths` with stderr captured (not a terminal): the runner's terminal relay. */
async function runnerStderr(paths: string[], outDir: string): Promise<{ ok: boolean; stderr: string }> {
  const o = await new Deno.Command(pythonPath(), {
    args: [join(REPO_ROOT, "scripts", "run_notebooks.py"), "--out-dir", outDir, ...paths],
    env: { JUPYTER_PATH: await ensureRunnerKernel() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { ok: o.success, stderr: new TextDecoder().decode(o.stderr) };
}

Deno.test("the runner relays a notebook's progress display to stderr as plain lines, every tenth of the bar", async () => {
  const dir = await Deno.makeTempDir();
  const path = await writeNotebook(dir, "relay", [
    `import { progress } from "${join(REPO_ROOT, "lib", "runtime", "progress.ts")}";
     import { notice } from "${join(REPO_ROOT, "lib", "runtime", "notice.ts")}";
     await notice("training probes: 40 in the grid, 0 cached, 40 to train");
     const bar = progress(40, "training probes", { intervalMs: 0 });
     for (let i = 0; i < 40; i++) { await new Promise((r) => setTimeout(r, 15)); bar.tick(); }
     await bar.done();`,
  ]);
  const { ok, stderr } = await runnerStderr([path], join(dir, "out"));
  assert.equal(ok, true, stderr);
  const lines = stderr.split("\n").filter((l) => l.startsWith("[relay] cell 1/1  training probes"));
  const counts = lines.map((l) => Number(/ (\d+)\/40 /.exec(l)?.[1]));
  assert.ok(counts.length >= 8 && counts.length <= 14, `one line per tenth of the bar, got ${counts.length}:\n${stderr}`);
  assert.deepEqual(counts, [...counts].sort((a, b) => a - b), "the relayed counts only go up");
  assert.equal(counts.at(-1), 40, "the bar's final state is relayed");
  assert.match(stderr, /\[relay\] cell 1\/1 ok in \d+\.\d s/);
  assert.ok(stderr.includes("[relay] cell 1/1  training probes: 40 in the grid, 0 cached, 40 to train\n"), `the plan is relayed as its own line:\n${stderr}`);
  assert.doesNotMatch(stderr, /\r/, "no carriage returns when stderr is not a terminal");
});

Deno.test("on a terminal the relay rewrites one line in place and keeps moving while a cell shows nothing", async () => {
  // The Relay class on its own, with a fake clock and a stream that says it is a terminal.
  const script = `
import sys, io
sys.path.insert(0, ${JSON.stringify(join(REPO_ROOT, "scripts"))})
from run_notebooks import Relay
t = [0.0]
out = io.StringIO()
r = Relay("nb", stream=out, tty=True, now=lambda: t[0])
r.start_cell("cell 3/9")
for s in range(1, 6):
    t[0] = float(s)
    r.heartbeat()
r.progress("progress-1", "training  5/10 (50%)  1.00 it/s  elapsed 0:05  left 0:05")
t[0] = 6.1
r.progress("progress-1", "training  6/10 (60%)  1.00 it/s  elapsed 0:06  left 0:04")
r.end_cell("ok", 7.0)
sys.stdout.write(out.getvalue())
`;
  const o = await new Deno.Command(pythonPath(), { args: ["-c", script], stdout: "piped", stderr: "piped" }).output();
  assert.equal(o.success, true, new TextDecoder().decode(o.stderr));
  const out = new TextDecoder().decode(o.stdout);
  const frames = out.split("\r").filter(Boolean);
  assert.deepEqual(frames.slice(0, 6).map((f) => f.replace("\x1b[K", "")), [
    "[nb] cell 3/9  running 0:00",
    "[nb] cell 3/9  running 0:01",
    "[nb] cell 3/9  running 0:02",
    "[nb] cell 3/9  running 0:03",
    "[nb] cell 3/9  running 0:04",
    "[nb] cell 3/9  running 0:05",
  ]);
  assert.ok(frames.some((f) => f.startsWith("[nb] cell 3/9  training  6/10 (60%)")), out);
  assert.equal(frames.at(-1), "[nb] cell 3/9 ok in 7.0 s\x1b[K\n");
  assert.equal(out.split("\n").length, 2, "one finished line per cell");
});
