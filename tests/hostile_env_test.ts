/**
 * Hostile environment values and `report` arguments: every `SHARELOCK_*` variable is checked when a task
 * or a notebook starts (one message naming each bad variable, its value and the allowed values, exit
 * status 1, no stack trace); `report` refuses an ambiguous or unknown notebook prefix; a failed report
 * keeps the notebook's last successful key figures in the summary.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CAPTION_SEED_COUNT, checkEnvironment, ENV_VARS, EnvError, type FolderChecks, NO_FOLDER_CHECKS, readSetting, realFolderChecks, REPO_ROOT, validateEnv,
} from "../lib/runtime/env.ts";
import { CAPTIONS_EMBEDDED, captionNotebookConfig } from "../lib/config.ts";
import { projectPaths } from "../lib/runtime/paths.ts";
import { visionEngineFromEnv } from "../lib/encoders/vision/onnx_vision.ts";
import { readSummary, recordFigures, recordNotebookRun, recordRun, settledEntry, type NotebookSummary } from "../lib/report/summary.ts";
import { notebookByPrefix } from "../scripts/reproduce.ts";
import { CONFIGURATION_DOC, envMarkdownTable, withTable } from "../scripts/env_doc.ts";

/** Each variable: values it accepts (with the value they give) and values it refuses. */
const CASES: Record<keyof typeof ENV_VARS, { good: [string, unknown][]; bad: string[] }> = {
  cacheDir: { good: [["/tmp/c", "/tmp/c"], ["", join(REPO_ROOT, ".cache")]], bad: [] },
  outputsDir: { good: [["/tmp/o", "/tmp/o"]], bad: [] },
  dataDir: { good: [["/data", "/data"], ["", null]], bad: [] },
  modelsDir: { good: [["/models", "/models"]], bad: [] },
  scale: { good: [["paper", "paper"], ["embedded", "embedded"], ["", "embedded"]], bad: ["papr", "full", "1"] },
  seeds: { good: [["2", 2], ["5", 5], ["", null]], bad: ["1", "6", "two", "2.5", "-3"] },
  device: { good: [["cuda", "cuda"], [" WebGPU ", "webgpu"], ["", "auto"]], bad: ["gpu", "tpu", "0"] },
  dtype: { good: [["q8", "q8"], ["bnb4", "bnb4"], ["", "fp32"]], bad: ["q3", "fp64", "FP16x"] },
  ortThreads: { good: [["4", 4], ["1", 1], ["", null]], bad: ["abc", "0", "-2", "2.5", "1e3", "4 threads"] },
  visionEngine: { good: [["tfjs", "tfjs"], ["", "onnx"]], bad: ["torch", "onnxruntime"] },
  tfBackend: { good: [["wasm", "wasm"], ["CPU", "cpu"]], bad: ["webgl", "gpu"] },
  noMemo: { good: [["1", true], ["0", false], ["", false]], bad: ["yes", "true", "2"] },
  rehearsal: { good: [["1", true], ["0", false], ["", false]], bad: ["yes", "2"] },
  shardIndex: { good: [["0", 0]], bad: ["-1", "x", "0.5"] },
  shardCount: { good: [["3", 3]], bad: ["0", "three"] },
  settleMs: { good: [["0", 0], ["45.5", 45.5], ["", null]], bad: ["abc", "-1", "Infinity"] },
  python: { good: [["python3", "python3"], ["/usr/bin/python3", "/usr/bin/python3"]], bad: [] },
  chromium: { good: [["/usr/bin/chromium", "/usr/bin/chromium"]], bad: [] },
  swiftshaderIcd: { good: [["/icd.json", "/icd.json"]], bad: [] },
  llm: { good: [["onnx-community/Qwen2.5-0.5B", "onnx-community/Qwen2.5-0.5B"], ["/models/qwen", "/models/qwen"], ["", null]], bad: ["qwen", "a b/c"] },
  frontendNotebook: { good: [["03_sharelock_vlm", "03_sharelock_vlm"], ["", "05_compositionality"]], bad: [] },
};

Deno.test("validateEnv: every variable's good values parse to the expected setting, bad ones are refused naming the variable, value and allowed values", () => {
  for (const [key, { good, bad }] of Object.entries(CASES) as [keyof typeof ENV_VARS, { good: [string, unknown][]; bad: string[] }][]) {
    const name = ENV_VARS[key].name;
    for (const [raw, want] of good) assert.deepEqual(validateEnv({ [name]: raw }, NO_FOLDER_CHECKS)[key], want, `${name}=${raw}`);
    for (const raw of bad) {
      assert.throws(() => validateEnv({ [name]: raw }, NO_FOLDER_CHECKS), (err: Error) => {
        assert.ok(err instanceof EnvError, `${name}=${raw}: an EnvError`);
        assert.ok(err.message.includes(`${name}="${raw}"`) || err.message.includes(`${name}=${raw}`), `${name}=${raw} is named: ${err.message}`);
        assert.match(err.message, /allowed|use |expected|one of/, `${name}=${raw}: the allowed values are given`);
        return true;
      });
    }
  }
});

Deno.test("validateEnv names every bad variable at once, and the shard index must lie below the count", () => {
  const env = { SHARELOCK_ORT_THREADS: "abc", SHARELOCK_DTYPE: "q3", SHARELOCK_SCALE: "paper", SHARELOCK_DEVICE: "gpu" };
  assert.throws(() => validateEnv(env, NO_FOLDER_CHECKS), (e: EnvError) => {
    assert.deepEqual(e.problems.map((p) => p.match(/SHARELOCK_[A-Z_]+/)![0]).sort(), ["SHARELOCK_DEVICE", "SHARELOCK_DTYPE", "SHARELOCK_ORT_THREADS"]);
    assert.match(e.message, /^3 environment variables are not valid:/);
    assert.equal(e.stack, `EnvError: ${e.message}`, "no stack frames");
    return true;
  });
  assert.throws(() => validateEnv({ SHARELOCK_SHARD_INDEX: "3", SHARELOCK_SHARD_COUNT: "3" }, NO_FOLDER_CHECKS), /SHARELOCK_SHARD_INDEX="3": not below SHARELOCK_SHARD_COUNT \(3\)/);
  assert.throws(() => validateEnv({ SHARELOCK_SHARD_INDEX: "1" }, NO_FOLDER_CHECKS), /SHARELOCK_SHARD_INDEX="1": not below SHARELOCK_SHARD_COUNT/);
  assert.equal(validateEnv({ SHARELOCK_SHARD_INDEX: "2", SHARELOCK_SHARD_COUNT: "3" }, NO_FOLDER_CHECKS).shardIndex, 2);
});

Deno.test("validateEnv: the path variables go through the file-system checks, with the variable and the path in the message", () => {
  const refused = new Set(["/ro/cache", "/ro/out", "/missing", "/file/models"]);
  const fs: FolderChecks = {
    writable: (p) => (refused.has(p) ? `${p} is not writable` : null),
    folder: (p) => (refused.has(p) ? `${p} is under a file` : null),
    exists: (p) => (refused.has(p) ? `${p} does not exist` : null),
  };
  for (const [name, path] of [["SHARELOCK_CACHE_DIR", "/ro/cache"], ["SHARELOCK_OUTPUTS_DIR", "/ro/out"], ["SHARELOCK_DATA_DIR", "/missing"], ["SHARELOCK_MODELS_DIR", "/file/models"], ["SHARELOCK_SWIFTSHADER_ICD", "/missing"], ["SHARELOCK_CHROMIUM", "/missing"], ["SHARELOCK_PYTHON", "/missing"], ["SHARELOCK_LLM", "/missing"]]) {
    assert.throws(() => validateEnv({ [name]: path }, fs), new RegExp(`${name}="${path}": ${path} (is not writable|is under a file|does not exist)`));
  }
  // unset: the default folder is checked, and the message says which variable moves it
  const noDefault: FolderChecks = { ...NO_FOLDER_CHECKS, writable: (p) => (p === join(REPO_ROOT, ".cache") ? "read-only" : null) };
  assert.throws(() => validateEnv({}, noDefault), /SHARELOCK_CACHE_DIR is unset, so .*\.cache is used: read-only; set SHARELOCK_CACHE_DIR to a folder/);
  assert.throws(() => validateEnv({ SHARELOCK_FRONTEND_NOTEBOOK: "99_none" }, realFolderChecks), /SHARELOCK_FRONTEND_NOTEBOOK="99_none": .*99_none\.ipynb does not exist/);
});

Deno.test("realFolderChecks: a folder under a file, or in a place nobody can write, is refused; a new folder in a writable one is fine", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "file"), "x");
    assert.match(realFolderChecks.writable(join(dir, "file", "cache"))!, /cannot be created: .*file is a file, not a folder/);
    assert.match(realFolderChecks.folder(join(dir, "file", "models"))!, /is a file/);
    assert.equal(realFolderChecks.writable(join(dir, "new", "deeper")), null);
    assert.equal(realFolderChecks.writable(dir), null);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["file"], "the write probe leaves nothing behind");
    if (Deno.build.os === "linux") assert.match(realFolderChecks.writable("/proc/self/sharelock-cache")!, /not writable/); // even root cannot write there
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the modules read their variables through the one parser: same defaults, bad values refused naming the variable", () => {
  const env = (m: Record<string, string>) => ({ get: (k: string) => m[k] });
  assert.deepEqual(projectPaths(env({})).cache, join(REPO_ROOT, ".cache"));
  assert.equal(projectPaths(env({ SHARELOCK_OUTPUTS_DIR: "/tmp/out" })).outputs, "/tmp/out");
  assert.equal(visionEngineFromEnv(env({})), "onnx");
  assert.throws(() => visionEngineFromEnv(env({ SHARELOCK_VISION_ENGINE: "torch" })), /SHARELOCK_VISION_ENGINE="torch"/);
  assert.equal(readSetting("ortThreads", env({})), null, "unset: the caller uses every core");
  assert.throws(() => readSetting("ortThreads", env({ SHARELOCK_ORT_THREADS: "abc" })), /SHARELOCK_ORT_THREADS="abc": not a whole number; allowed: a positive integer/);
  assert.throws(() => readSetting("dtype", env({ SHARELOCK_DTYPE: "q3" })), /SHARELOCK_DTYPE="q3" is not a weights variant: use fp32, fp16/);
});

Deno.test("the table covers every SHARELOCK_ variable the project reads, and no module outside lib/runtime/env.ts parses one itself", () => {
  const files = ["lib", "scripts", "notebooks", "tests"].flatMap((d) => walk(join(REPO_ROOT, d))).filter((f) => /\.(ts|ipynb|py)$/.test(f));
  const known = new Set(Object.values(ENV_VARS).map((v) => v.name as string));
  const read = new Set<string>(), parsedElsewhere: string[] = [];
  for (const f of files) {
    const text = Deno.readTextFileSync(f);
    for (const m of text.matchAll(/SHARELOCK_[A-Z][A-Z0-9_]*[A-Z0-9]/g)) read.add(m[0]);
    const rel = f.slice(REPO_ROOT.length + 1);
    if (rel.startsWith("lib/") && rel !== "lib/runtime/env.ts" && /\.get\(\s*"SHARELOCK_/.test(text)) parsedElsewhere.push(rel);
  }
  assert.deepEqual([...read].filter((n) => !known.has(n)).sort(), [], "variables read but not in ENV_VARS");
  assert.deepEqual(parsedElsewhere.sort(), []);
});

function walk(dir: string): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) => e.isDirectory ? (e.name === "fixtures" ? [] : walk(join(dir, e.name))) : [join(dir, e.name)]);
}

Deno.test("SHARELOCK_SEEDS is read when a caption notebook builds its configuration, not when lib/config.ts is imported", async () => {
  assert.equal(CAPTIONS_EMBEDDED.seeds.length, CAPTION_SEED_COUNT, "the table's limit is the caption notebooks' seed count");
  assert.deepEqual(captionNotebookConfig("embedded", new Map()).seeds, [0, 1, 2, 3, 4]);
  const two = captionNotebookConfig("embedded", new Map([["SHARELOCK_SEEDS", "2"]]));
  assert.deepEqual([two.seeds, two.scalingEndSeeds.smallest, two.scalingEndSeeds.largest], [[0, 1], [0, 1], [0, 1]]);
  assert.deepEqual(captionNotebookConfig("embedded", new Map()).scalingEndSeeds.largest.length, 30);
  assert.throws(() => captionNotebookConfig("embedded", new Map([["SHARELOCK_SEEDS", "6"]])), /SHARELOCK_SEEDS=6: expected an integer from 2 to 5/);
  // importing the library with a bad value set succeeds: the value is checked when a notebook starts
  const out = await deno(["eval", `await import(${JSON.stringify(join(REPO_ROOT, "lib", "config.ts"))}); console.log("imported")`], { SHARELOCK_SEEDS: "9" });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /imported/);
});

Deno.test("every notebook's first library call is sl.checkEnvironment, which raises the same message without stack frames", () => {
  for (const e of [...Deno.readDirSync(join(REPO_ROOT, "notebooks"))].filter((e) => e.name.endsWith(".ipynb"))) {
    const nb = JSON.parse(Deno.readTextFileSync(join(REPO_ROOT, "notebooks", e.name))) as { cells: { cell_type: string; source: string | string[] }[] };
    const first = nb.cells.find((c) => c.cell_type === "code")!;
    const code = (Array.isArray(first.source) ? first.source.join("") : first.source).replace(/^import .*$/gm, "");
    assert.equal(code.match(/\bsl\.\w+/)?.[0], "sl.checkEnvironment", `${e.name}: first call`);
  }
  assert.throws(() => checkEnvironment({ SHARELOCK_ORT_THREADS: "abc" }), (err: Error) => err instanceof EnvError && !/\n\s+at /.test(err.stack ?? "") && /SHARELOCK_ORT_THREADS="abc"/.test(err.message));
});

async function deno(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), { args, env, cwd: REPO_ROOT, stdout: "piped", stderr: "piped" }).output();
  // deno-lint-ignore no-control-regex
  const dec = (b: Uint8Array) => new TextDecoder().decode(b).replace(/\x1b\[[0-9;]*m/g, "");
  return { code: out.code, stdout: dec(out.stdout), stderr: dec(out.stderr) };
}

Deno.test("a task started with a bad variable stops with exit status 1, naming it, without a stack trace (report, doctor)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "file"), "x"); // a cache folder under a file: nobody, root included, can create it
    const outputs = { SHARELOCK_OUTPUTS_DIR: join(dir, "outputs") };
    const probes: [string[], Record<string, string>, RegExp][] = [
      [["scripts/reproduce.ts", "00_setup"], { SHARELOCK_ORT_THREADS: "abc" }, /SHARELOCK_ORT_THREADS="abc": not a whole number; allowed: a positive integer/],
      [["scripts/reproduce.ts", "00_setup"], { SHARELOCK_DTYPE: "q3" }, /SHARELOCK_DTYPE="q3" is not a weights variant: use fp32/],
      [["scripts/reproduce.ts", "00_setup"], { SHARELOCK_CACHE_DIR: join(dir, "file", "cache") }, /SHARELOCK_CACHE_DIR=".*file\/cache": .* is a file, not a folder/],
      [["scripts/doctor.ts", "--help"], { SHARELOCK_DTYPE: "q3" }, /doctor: an environment variable is not valid:\n- SHARELOCK_DTYPE="q3"/],
    ];
    for (const [args, env, message] of probes) {
      const r = await deno(["run", "-A", ...args], { ...outputs, ...env });
      assert.equal(r.code, 1, `${args.join(" ")} with ${JSON.stringify(env)}: exit status\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["file"], "nothing was run or written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report: an ambiguous prefix lists the notebooks it matches, an unknown one the available notebooks; both exit 1", async () => {
  const names = ["00_setup", "01_zero_shot_probing", "02_language", "10_extra"];
  assert.equal(notebookByPrefix("01", names), "01_zero_shot_probing");
  assert.equal(notebookByPrefix("00_setup.ipynb", names), "00_setup");
  assert.throws(() => notebookByPrefix("0", names), /"0" names 3 notebooks: 00_setup, 01_zero_shot_probing, 02_language; give a longer prefix/);
  assert.throws(() => notebookByPrefix("9", names), /no notebook "9"; choose one of: 00_setup, 01_zero_shot_probing, 02_language, 10_extra/);
  const outputs = await Deno.makeTempDir();
  try {
    const r = await deno(["run", "-A", "scripts/reproduce.ts", "0"], { SHARELOCK_OUTPUTS_DIR: outputs });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"0" names 9 notebooks: 00_setup, 01_zero_shot_probing, .*08_leaderboard; give a longer prefix/);
    const u = await deno(["run", "-A", "scripts/reproduce.ts", "zz"], { SHARELOCK_OUTPUTS_DIR: outputs });
    assert.equal(u.code, 1);
    assert.match(u.stderr, /no notebook "zz"; choose one of: 00_setup, .*08_leaderboard/);
  } finally {
    await Deno.remove(outputs, { recursive: true });
  }
});

Deno.test("settledEntry: a failed run keeps the last successful run's figures and says when they are from; a successful one takes its own", () => {
  const ok = { ok: true, seconds: 9, finished: "t0" };
  const before: NotebookSummary = { figures: { top1: 0.5, r: 0.7 }, figuresFrom: "t0", run: ok };
  const failed = { ok: false, seconds: 2, finished: "t1", failedCell: 4, error: "boom" };
  assert.deepEqual(settledEntry(before, { figures: { top1: 0.1 } }, failed), { figures: { top1: 0.5, r: 0.7 }, figuresFrom: "t0", run: failed });
  assert.deepEqual(settledEntry(before, { figures: { top1: 0.6 } }, { ...ok, finished: "t2" }), { figures: { top1: 0.6 }, figuresFrom: "t2", run: { ...ok, finished: "t2" } });
  // a summary written before `figuresFrom` existed: the last run's time when it succeeded
  assert.equal(settledEntry({ figures: { a: 1 }, run: ok }, undefined, failed).figuresFrom, "t0");
  // two failures in a row keep the figures of the last success
  const once = settledEntry(before, { figures: {} }, failed);
  assert.deepEqual(settledEntry(once, { figures: {} }, { ...failed, finished: "t3" }).figures, before.figures);
  assert.deepEqual(settledEntry(undefined, { figures: { half: 1 } }, failed), { figures: {}, run: failed }, "no success yet: no figures, none invented");
});

Deno.test("a failed report keeps the notebook's previous key figures in summary.json (the runner's sequence)", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "summary.json");
  try {
    await recordFigures("01_x", { top1: 0.42 }, path);
    await recordRun("01_x", { ok: true, seconds: 5, finished: "t0" }, path);
    await recordFigures("02_y", { r: 0.3 }, path);
    const before = (await readSummary(path)).notebooks["01_x"];
    // the runner clears the figures, the notebook records some and then fails
    const { clearFigures } = await import("../lib/report/summary.ts");
    await clearFigures("01_x", path);
    await recordFigures("01_x", { top1: 0.01 }, path);
    await recordNotebookRun("01_x", before, { ok: false, seconds: 1, finished: "t1", error: "cell 3 failed" }, path);
    const s = await readSummary(path);
    assert.deepEqual(s.notebooks["01_x"].figures, { top1: 0.42 });
    assert.equal(s.notebooks["01_x"].figuresFrom, "t0");
    assert.equal(s.notebooks["01_x"].run?.ok, false);
    assert.deepEqual(s.notebooks["02_y"].figures, { r: 0.3 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("docs/configuration.md holds the table the code makes, one row per variable", async () => {
  const page = await Deno.readTextFile(CONFIGURATION_DOC);
  assert.equal(page, withTable(page), "run `deno run -A scripts/env_doc.ts` after changing ENV_VARS");
  const table = envMarkdownTable();
  assert.equal(table.split("\n").length, 2 + Object.keys(ENV_VARS).length);
  for (const v of Object.values(ENV_VARS)) assert.ok(page.includes(`| \`${v.name}\` |`), v.name);
});

/** A notebook of `cells` in a new folder, and an outputs folder whose summary already holds its last good figures. */
async function notebookWithSummary(name: string, cells: string[]): Promise<{ dir: string; path: string; summary: string }> {
  const dir = await Deno.makeTempDir(), summary = join(dir, "out", "summary.json");
  const nb = {
    nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
  };
  await Deno.writeTextFile(join(dir, `${name}.ipynb`), JSON.stringify(nb));
  await recordFigures(name, { top1: 0.42 }, summary);
  await recordRun(name, { ok: true, seconds: 3, finished: "2026-01-01T00:00:00Z" }, summary);
  return { dir, path: join(dir, `${name}.ipynb`), summary };
}

const RECORD = `import { recordFigures } from ${JSON.stringify(join(REPO_ROOT, "lib", "report", "summary.ts"))};`;

Deno.test("report: a notebook that fails after recording some figures leaves its last successful figures in the summary (real runner)", async () => {
  const { dir, path, summary } = await notebookWithSummary("fails", [`${RECORD}\nawait recordFigures("fails", { top1: 0.01, partial: 1 });`, `throw new Error("cell two fails");`]);
  try {
    const r = await deno(["run", "-A", "scripts/reproduce.ts", path], { SHARELOCK_OUTPUTS_DIR: join(dir, "out") });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /key figures in the summary: kept from the last successful run \(2026-01-01T00:00:00Z\)/);
    const s = (await readSummary(summary)).notebooks.fails;
    assert.deepEqual(s.figures, { top1: 0.42 });
    assert.deepEqual([s.figuresFrom, s.run?.ok, s.run?.failedCell], ["2026-01-01T00:00:00Z", false, 2]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const signal of ["SIGTERM", "SIGHUP"] as const) {
Deno.test(`report stopped by ${signal}${signal === "SIGHUP" ? " (its terminal closed)" : ""}: the kernel is shut down, the last successful figures stay, exit status 130`, async () => {
  const { dir, path, summary } = await notebookWithSummary("slow", [`${RECORD}\nawait recordFigures("slow", { top1: 0.01 });`, `await new Promise((r) => setTimeout(r, 60_000));`]);
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "scripts/reproduce.ts", path], env: { SHARELOCK_OUTPUTS_DIR: join(dir, "out") }, cwd: REPO_ROOT, stdout: "null", stderr: "piped",
    }).spawn();
    let seen = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      seen += chunk;
      if (seen.includes("[slow] cell 2/2 ...")) break; // the first cell has recorded its figure
    }
    child.kill(signal);
    const status = await child.status;
    assert.equal(status.code, 130, seen);
    const s = (await readSummary(summary)).notebooks.slow;
    assert.deepEqual(s.figures, { top1: 0.42 });
    assert.equal(s.run?.error, `stopped by ${signal}`);
    if (Deno.build.os === "linux") {
      const inDir = [...Deno.readDirSync("/proc")].filter((e) => /^\d+$/.test(e.name)).filter((e) => {
        try {
          return Deno.readLinkSync(`/proc/${e.name}/cwd`) === dir;
        } catch {
          return false;
        }
      });
      assert.deepEqual(inDir, [], "no kernel left running in the notebook's folder");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
}
