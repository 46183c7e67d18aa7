/**
 * The committed notebooks carry their outputs (`scripts/publish_notebooks.ts`): every code cell's output
 * is there, no output shows a folder of the machine it ran on, and the key figures each notebook shows
 * equal `results/summary.json`. The helpers behind it (`lib/report/executed.ts`) are checked on
 * notebooks made here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/runtime/paths.ts";
import { absolutePaths, codeCellsWithOutputs, type NotebookJson, sameSource, shownFigures, stripNotebook } from "../lib/report/executed.ts";
import { figuresBundle } from "../lib/report/summary.ts";
import { machineFolders, MAX_NOTEBOOK_BYTES, publishNotebooks } from "../scripts/publish_notebooks.ts";

const notebookNames = () => [...Deno.readDirSync(join(REPO_ROOT, "notebooks"))].filter((e) => e.name.endsWith(".ipynb")).map((e) => e.name).sort();
const read = (path: string): NotebookJson => JSON.parse(Deno.readTextFileSync(path));

/** The committed results, or null before a reproduce has published any. */
function committedResults(): { notebooks: Record<string, { figures: Record<string, unknown> }> } | null {
  try {
    return JSON.parse(Deno.readTextFileSync(join(REPO_ROOT, "results", "summary.json")));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

Deno.test("committed notebooks and results agree: executed (outputs in the last code cell and in most others, no machine path, under 3 MB) when results are published, without outputs when none are", () => {
  const published = committedResults() !== null;
  for (const name of notebookNames()) {
    const path = join(REPO_ROOT, "notebooks", name), nb = read(path);
    const { code, withOutputs } = codeCellsWithOutputs(nb);
    if (!published) {
      assert.equal(withOutputs, 0, `notebooks/${name} carries outputs but results/summary.json is not committed: publish both (deno task reproduce) or neither`);
      continue;
    }
    // a cell that only defines functions shows nothing; the run reached the end when the last cell shows something
    const last = nb.cells.filter((c) => c.cell_type === "code").at(-1);
    assert.ok((last?.outputs ?? []).length > 0, `notebooks/${name}: its last code cell has no output (the run did not reach the end?)`);
    assert.ok(withOutputs >= 0.75 * code, `notebooks/${name}: ${code - withOutputs} of ${code} code cells have no output`);
    assert.deepEqual(absolutePaths(nb), [], `notebooks/${name} shows absolute paths`);
    assert.ok(Deno.statSync(path).size <= MAX_NOTEBOOK_BYTES, `notebooks/${name} is over 3 MB`);
    assert.ok(nb.cells.every((c) => c.cell_type !== "code" || c.execution_count === null), `notebooks/${name}: execution counts are stripped`);
  }
});

Deno.test("the key figures each committed notebook shows equal results/summary.json", () => {
  const results = committedResults();
  if (!results) return; // nothing published: the test above checks that no notebook shows outputs either
  for (const name of notebookNames()) {
    const notebook = name.replace(/\.ipynb$/, ""), shown = shownFigures(read(join(REPO_ROOT, "notebooks", name)));
    const recorded: Record<string, unknown> = results.notebooks[notebook]?.figures ?? {};
    assert.ok(Object.keys(shown).length > 0, `notebooks/${name} shows no key figures`);
    assert.deepEqual(shown, recorded, `notebooks/${name}: the figures it shows differ from results/summary.json`);
  }
});

const executed = (source: string, outputs: Record<string, unknown>[]): NotebookJson => ({
  cells: [{ cell_type: "markdown", source: "# t", metadata: {} }, { cell_type: "code", source: [source], execution_count: 7, metadata: { execution: { "iopub.execute_input": "2026-01-01" }, tags: ["x"] }, outputs }],
  metadata: { kernelspec: { name: "deno" }, language_info: { name: "typescript" }, papermill: { duration: 3 } },
  nbformat: 4,
  nbformat_minor: 5,
});

Deno.test("stripping: counts and timings go, folders become relative, figures stay readable", () => {
  const out = [
    { output_type: "stream", name: "stdout", text: "raw results: /home/ana/sharelock/outputs/results/01.parquet\n" },
    { output_type: "execute_result", execution_count: 7, data: { "text/plain": "cache /srv/cache/x" }, metadata: {} },
    { output_type: "display_data", data: figuresBundle("01", { top1: 0.5, bad: NaN, verdict: "ahead" }), metadata: {} },
  ];
  const nb = stripNotebook(executed("1", out), { "/home/ana/sharelock/": "", "/srv/cache/": "$SHARELOCK_CACHE_DIR/" });
  assert.equal(nb.cells[1].execution_count, null);
  assert.equal(nb.cells[1].outputs![1].execution_count, null);
  assert.deepEqual(nb.cells[1].metadata, { tags: ["x"] });
  assert.deepEqual(nb.metadata, { kernelspec: { name: "deno" }, language_info: { name: "typescript" } });
  assert.equal(nb.cells[1].outputs![0].text, "raw results: outputs/results/01.parquet\n");
  assert.deepEqual(absolutePaths(nb), []);
  assert.deepEqual(shownFigures(nb), { top1: 0.5, bad: null, verdict: "ahead" });
  // what stripping does not cover is found
  assert.deepEqual(absolutePaths(executed("1", [{ output_type: "stream", text: "see /tmp/x1/a.json and /work/main/b" }])), ["/tmp/x1/a.json", "/work/main/b"]);
  assert.ok(sameSource(nb, executed("1", [])));
  assert.ok(!sameSource(nb, executed("2", [])));
  assert.deepEqual(codeCellsWithOutputs(executed("1", [])), { code: 1, withOutputs: 0 });
});

Deno.test("publishing names a cache or outputs folder outside the repository by its variable, bare or with a file", () => {
  const prev = { cache: Deno.env.get("SHARELOCK_CACHE_DIR"), outputs: Deno.env.get("SHARELOCK_OUTPUTS_DIR") };
  Deno.env.set("SHARELOCK_CACHE_DIR", "/srv/sl-cache");
  Deno.env.set("SHARELOCK_OUTPUTS_DIR", "/srv/sl-out");
  try {
    const text = "cache: /srv/sl-cache | outputs: /srv/sl-out | /srv/sl-cache/memo/a.json | /srv/sl-out/reports/01.html\n";
    const nb = stripNotebook(executed("1", [{ output_type: "stream", name: "stdout", text }]), machineFolders("/home/ana/sharelock"));
    assert.equal(nb.cells[1].outputs![0].text, "cache: $SHARELOCK_CACHE_DIR | outputs: outputs | $SHARELOCK_CACHE_DIR/memo/a.json | outputs/reports/01.html\n");
  } finally {
    for (const [k, v] of [["SHARELOCK_CACHE_DIR", prev.cache], ["SHARELOCK_OUTPUTS_DIR", prev.outputs]] as const) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
});

Deno.test("publishing refuses an executed copy whose code changed, and writes nothing then", async () => {
  const root = await Deno.makeTempDir(), reports = join(root, "reports");
  await Deno.mkdir(join(root, "notebooks"));
  await Deno.mkdir(reports);
  const committed = executed("1 + 1", []);
  for (const n of ["a", "b"]) await Deno.writeTextFile(join(root, "notebooks", `${n}.ipynb`), JSON.stringify(committed));
  await Deno.writeTextFile(join(reports, "a.ipynb"), JSON.stringify(executed("1 + 1", [{ output_type: "stream", text: `in ${root}/x` }])));
  await Deno.writeTextFile(join(reports, "b.ipynb"), JSON.stringify(executed("2 + 2", [{ output_type: "stream", text: "4" }])));
  await assert.rejects(publishNotebooks(root, reports), /b\.ipynb: its code differs from notebooks\/b\.ipynb/);
  assert.deepEqual(read(join(root, "notebooks", "a.ipynb")), committed, "nothing written when one notebook is refused");
  await Deno.writeTextFile(join(reports, "b.ipynb"), JSON.stringify(executed("1 + 1", [{ output_type: "stream", text: "2" }])));
  assert.equal((await publishNotebooks(root, reports)).length, 2);
  const a = read(join(root, "notebooks", "a.ipynb"));
  assert.equal(a.cells[1].outputs![0].text, "in x", "the root folder is written relative");
});
