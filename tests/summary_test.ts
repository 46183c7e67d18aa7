import assert from "node:assert/strict";
import { join } from "node:path";
import { clearFigures, diffSummaries, readSummary, recordFigures, recordRun, type Summary } from "../lib/report/summary.ts";
import { junitCounts } from "../scripts/run_tests.ts";

Deno.test("recordFigures merges into the summary file and keeps other notebooks", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "summary.json");
  await recordFigures("a", { top1: 0.5, backend: "wasm" }, path);
  await recordFigures("b", { r: 0.7 }, path);
  await recordFigures("a", { top1: 0.6, nan: NaN }, path);
  await recordRun("a", { ok: true, seconds: 1.5, finished: "now" }, path);
  const s = await readSummary(path);
  assert.deepEqual(s.notebooks.a.figures, { top1: 0.6, backend: "wasm", nan: null });
  assert.deepEqual(s.notebooks.b.figures, { r: 0.7 });
  assert.equal(s.notebooks.a.run?.ok, true);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["summary.json", "summary.json.lock"], "no temporary file left");
});

Deno.test("two processes recording figures into one summary at once lose none (the summary's file lock)", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "summary.json"), lib = new URL("../lib/report/summary.ts", import.meta.url).href;
  const writer = (name: string) =>
    new Deno.Command(Deno.execPath(), {
      args: ["eval", `import { recordFigures } from "${lib}";
for (let i = 0; i < 40; i++) await recordFigures("${name}", { ["f" + i]: i }, ${JSON.stringify(path)});`],
      stdout: "null", stderr: "piped",
    }).output();
  const outs = await Promise.all([writer("a"), writer("b")]);
  for (const o of outs) assert.ok(o.success, new TextDecoder().decode(o.stderr));
  const s = await readSummary(path);
  assert.equal(Object.keys(s.notebooks.a.figures).length, 40);
  assert.equal(Object.keys(s.notebooks.b.figures).length, 40);
});

Deno.test("readSummary rejects a file that is not a summary, naming it", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "summary.json");
  await Deno.writeTextFile(path, "{not json");
  await assert.rejects(() => readSummary(path), new RegExp(path.replaceAll("/", "\\/")));
  await Deno.writeTextFile(path, "[1]");
  await assert.rejects(() => readSummary(path), /not a summary file/);
});

Deno.test("diffSummaries lists changed, added and removed figures", () => {
  const a: Summary = { updated: "", notebooks: { x: { figures: { acc: 0.5, same: 1, gone: "y" } } } };
  const b: Summary = { updated: "", notebooks: { x: { figures: { acc: 0.55, same: 1, new: 2 } } } };
  const d = diffSummaries(a, b);
  assert.deepEqual(d.map((c) => c.figure), ["acc", "gone", "new"]);
  assert.ok(Math.abs(d[0].delta! - 0.05) < 1e-12);
  assert.equal(diffSummaries(a, b, 0.1).length, 2, "a change within tolerance is not reported");
});

Deno.test("junitCounts counts passed, failed and skipped test cases", () => {
  const xml = `<testsuites><testsuite name="a">
    <testcase name="one" time="0.1"/>
    <testcase name="two" time="0.1"><failure message="boom">x</failure></testcase>
    <testcase name="three"><skipped/></testcase>
    <testcase name="four" time="0.2"></testcase></testsuite></testsuites>`;
  assert.deepEqual(junitCounts(xml), { passed: 2, failed: 1, skipped: 1 });
});

Deno.test("clearFigures forgets one notebook's figures, keeps its run and the other notebooks", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/summary.json`;
  await recordFigures("a", { old_name: 1, kept: 2 }, path);
  await recordRun("a", { ok: true, seconds: 1, finished: "t" }, path);
  await recordFigures("b", { x: 3 }, path);
  await clearFigures("a", path);
  await recordFigures("a", { kept: 4 }, path);
  const s = await readSummary(path);
  assert.deepEqual(s.notebooks.a.figures, { kept: 4 });
  assert.equal(s.notebooks.a.run?.ok, true);
  assert.deepEqual(s.notebooks.b.figures, { x: 3 });
  await Deno.remove(dir, { recursive: true });
});
