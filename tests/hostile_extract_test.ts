/**
 * `deno task extract` as a careful user and hostile input would run it: the real command as a subprocess
 * (`deno run -A scripts/extract.ts ...`), with the cache, the stores (`--root`), the models
 * (`SHARELOCK_MODELS_DIR`, tiny hub-format fixtures) and the on-disk datasets (`SHARELOCK_DATA_DIR`, tiny
 * class folders) in temporary folders, offline. What it cannot do is refused before any work with the
 * offending name; an `hf:` model over an on-disk dataset is extracted, sharded, equal to a direct
 * extraction; a failed worker fails the command; SIGTERM leaves no worker behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { REPO_ROOT } from "../lib/runtime/paths.ts";
import { hfVisionEncoder } from "../lib/encoders/hf/hf.ts";
import { loadImageFolder } from "../lib/data/paper_datasets.ts";
import { openStore } from "../lib/store/feature_store.ts";
import { extract } from "../lib/store/extract.ts";
import { verifyStore } from "../lib/store/verify.ts";
import { writeTinyTextModel, writeTinyVisionModel } from "./fixtures/tiny_hf.ts";
import { writeClassFolders } from "./fixtures/class_folders.ts";
import { didYouMean, parseJobs, resolveJobs } from "../scripts/extract.ts";
import type { ExtractionPlan } from "../lib/config.ts";

const SCRIPT = join(REPO_ROOT, "scripts", "extract.ts");

/** Temporary cache, models (tiny-vision, tiny-text) and data root (cub: 3 classes x `perClass` PNGs). */
async function world(perClass = 4) {
  const base = await Deno.makeTempDir({ prefix: "sharelock-extract-" });
  const paths = { base, cache: join(base, "cache"), models: join(base, "models"), data: join(base, "data"), root: join(base, "features") };
  await writeTinyVisionModel(paths.models);
  await writeTinyTextModel(paths.models);
  await writeClassFolders(paths.data, "cub", ["red_cat", "blue_apple", "green_mat"], perClass);
  const env: Record<string, string> = {
    SHARELOCK_CACHE_DIR: paths.cache,
    SHARELOCK_MODELS_DIR: paths.models,
    SHARELOCK_DATA_DIR: paths.data,
    HF_HUB_OFFLINE: "1",
    SHARELOCK_DEVICE: "cpu",
  };
  return { ...paths, env, cleanup: () => Deno.remove(base, { recursive: true }).catch(() => {}) };
}

function command(args: string[], env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), { args: ["run", "-A", SCRIPT, ...args], env, cwd: REPO_ROOT, stdin: "null", stdout: "piped", stderr: "piped" });
}

async function runExtract(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const o = await command(args, env).output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr) };
}

/** Refused before any work: exit 2, every needle in the output, no store written. */
async function assertRefused(args: string[], w: Awaited<ReturnType<typeof world>>, needles: (string | RegExp)[]) {
  const r = await runExtract([...args, "--root", w.root], w.env);
  assert.equal(r.code, 2, `extract ${args.join(" ")} exits 2, got ${r.code}:\n${r.out}`);
  assert.match(r.out, /nothing was started/);
  for (const n of needles) {
    if (typeof n === "string") assert.ok(r.out.includes(n), `extract ${args.join(" ")}: the output names ${n}:\n${r.out}`);
    else assert.match(r.out, n);
  }
  assert.ok(!existsSync(w.root), `extract ${args.join(" ")} wrote no store`);
  return r.out;
}

/** Pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(e.name));
    } catch { /* ended meanwhile */ }
  }
  return out;
}

/** Whether a process runs (exists and is not a zombie). */
function running(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

const until = async (what: string, ok: () => boolean, ms = 60_000) => {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

Deno.test("resolveJobs: the plan, restricted by --dataset; an --encoder over its plan datasets; both named: every pair", () => {
  const plan: ExtractionPlan = {
    images: [{ encoder: "mobilenet-v2", datasets: ["a", "b"] }, { encoder: "inception-v3", datasets: ["a"] }],
    language: ["use-lite"],
    textDatasets: ["a", "c"],
    templates: ["a drawing of {}."],
  };
  const show = (jobs: ReturnType<typeof resolveJobs>) => jobs.map((j) => `${j.encoder}:${j.kind}:${j.datasets.join("+")}`);
  assert.deepEqual(show(resolveJobs(plan, null, [])), ["mobilenet-v2:image:a", "mobilenet-v2:image:b", "inception-v3:image:a", "use-lite:text:a+c"]);
  // a dataset outside the plan runs with the first vision encoder; texts only of datasets the plan embeds
  assert.deepEqual(show(resolveJobs(plan, null, ["b", "cub"])), ["mobilenet-v2:image:b", "mobilenet-v2:image:cub"]);
  const inception = { name: "inception-v3", encoder: "inception-v3", kind: "image" as const };
  const hfVision = { name: "hf:x", encoder: "hf:x", kind: "image" as const };
  const hfText = { name: "hf:t", encoder: "hf:t:mean", kind: "text" as const };
  assert.deepEqual(show(resolveJobs(plan, [inception, hfVision, hfText], [])), ["inception-v3:image:a", "hf:x:image:a", "hf:x:image:b", "hf:t:mean:text:a+c"]);
  assert.deepEqual(show(resolveJobs(plan, [inception, hfText], ["b", "cub"])), ["inception-v3:image:b", "inception-v3:image:cub", "hf:t:mean:text:b+cub"]);
});

Deno.test("parseJobs and didYouMean", () => {
  assert.equal(parseJobs("3"), 3);
  for (const bad of ["0", "-1", "abc", "1.5", "", "1e3", "0x2"]) assert.throws(() => parseJobs(bad), /--jobs/);
  assert.equal(didYouMean("inceptoin-v3", ["mobilenet-v2", "inception-v3"]), ' (did you mean "inception-v3"?)');
  assert.equal(didYouMean("TUXPAINT", ["tuxpaint"]), ' (did you mean "tuxpaint"?)');
  assert.equal(didYouMean("resnet-50", ["mobilenet-v2", "inception-v3"]), "");
});

Deno.test("extract refuses unknown encoders (a typo gets a suggestion) and hf: models that are not there, naming each with the valid names", async () => {
  const w = await world(1);
  try {
    await assertRefused(["--encoder", "inceptoin-v3"], w, [`encoder "inceptoin-v3"`, `did you mean "inception-v3"`, "Valid encoders: mobilenet-v2, inception-v3", "hf:<model id>"]);
    // the documented Slurm example without its model: every array task would have "finished" in 0 s
    await assertRefused(["--encoder", "hf:onnx-community/dinov2-large"], w, [`encoder "hf:onnx-community/dinov2-large"`, join(w.models, "onnx-community/dinov2-large")]);
    await assertRefused(["--encoder", "hf:tiny-text:maximum"], w, [`encoder "hf:tiny-text:maximum"`, "hf:<model id>:<last-token|mean|cls>"]);
    // two bad names at once: both are named
    const out = await assertRefused(["--encoder", "mobilenet-v3", "--encoder", "no-such-encoder", "--encoder", "use-lite"], w, [`"mobilenet-v3"`, `"no-such-encoder"`]);
    assert.ok(!out.includes(`"use-lite"`), "a valid name is not reported");
  } finally {
    await w.cleanup();
  }
});

Deno.test("extract refuses unknown datasets and on-disk datasets that are not under SHARELOCK_DATA_DIR", async () => {
  const w = await world(1);
  try {
    await assertRefused(["--dataset", "tuxpain"], w, [`dataset "tuxpain"`, `did you mean "tuxpaint"`, "embedded: emoji-google", "cub (present)"]);
    await assertRefused(["--encoder", "hf:tiny-vision", "--dataset", "imagenet"], w, [`dataset "imagenet"`, join(w.data, "imagenet")]);
    const { SHARELOCK_DATA_DIR: _, ...noData } = w.env;
    const r = await runExtract(["--encoder", "hf:tiny-vision", "--dataset", "cub", "--root", w.root], noData);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /dataset "cub" is read from \$SHARELOCK_DATA_DIR\/cub\/, and SHARELOCK_DATA_DIR is not set/);
  } finally {
    await w.cleanup();
  }
});

Deno.test("extract refuses impossible encoder/dataset pairs: a vision model over images that are not there, a text pooling on a vision model", async () => {
  const w = await world(1);
  try {
    // COCO captions whose image files are absent: texts exist (a language encoder can run), images do not
    const coco = join(w.data, "coco");
    await Deno.mkdir(join(coco, "annotations"), { recursive: true });
    await Deno.mkdir(join(coco, "train2017"));
    await Deno.writeTextFile(join(coco, "annotations", "captions_train2017.json"), JSON.stringify({
      images: [{ id: 1, file_name: "000001.jpg" }, { id: 2, file_name: "000002.jpg" }],
      annotations: [{ image_id: 1, caption: "a red cat" }, { image_id: 2, caption: "an apple" }],
    }));
    await assertRefused(["--encoder", "hf:tiny-vision", "--dataset", "coco"], w, [`encoder "hf:tiny-vision" x dataset "coco"`, "none of its 2 images exists", join(coco, "train2017", "000001.jpg")]);
    const text = await runExtract(["--encoder", "hf:tiny-text", "--dataset", "coco", "--dry-run", "--root", w.root], w.env);
    assert.equal(text.code, 0, `the same dataset with a text model is a possible pair:\n${text.out}`);
    assert.match(text.out, /hf:tiny-text \(hf:tiny-text:mean\) \/ texts of coco/);
    await assertRefused(["--encoder", "hf:tiny-vision:mean", "--dataset", "cub"], w, [`encoder "hf:tiny-vision:mean"`, "is a vision model", "name it hf:tiny-vision"]);
  } finally {
    await w.cleanup();
  }
});

Deno.test("extract: --jobs must be a positive whole number (0, abc, -1, 1.5 are refused, naming the flag)", async () => {
  const w = await world(1);
  try {
    for (const args of [["--jobs", "0"], ["--jobs", "abc"], ["--jobs=-1"], ["--jobs", "-1"], ["--jobs", "1.5"], ["--jobs="]]) {
      await assertRefused([...args, "--encoder", "hf:tiny-vision", "--dataset", "cub"], w, ["--jobs"]);
    }
    await assertRefused(["--shard", "2/2", "--encoder", "hf:tiny-vision", "--dataset", "cub"], w, ["--shard", "2/2"]);
    await assertRefused(["--shard", "0/2", "--jobs", "2", "--encoder", "hf:tiny-vision", "--dataset", "cub"], w, ["--jobs 2 with shard 0/2"]);
    await assertRefused(["--encoder", "hf:tiny-vision", "--frobnicate"], w, ["--frobnicate"]);
  } finally {
    await w.cleanup();
  }
});

Deno.test("extract: an hf: vision model over an on-disk class-folder dataset, in 2 workers and as 2 Slurm array tasks, equals a direct extraction, and resumes", async () => {
  const w = await world(4);
  try {
    const items = (await loadImageFolder(join(w.data, "cub"), { name: "cub" })).items.map((it) => ({ id: it.item_id, input: it.image_path! }));
    assert.equal(items.length, 12);
    const enc = await hfVisionEncoder({ model: "tiny-vision", localModelPath: w.models, allowRemote: false, device: "cpu" });
    const direct = await enc.embed(items.map((it) => it.input as string));
    const check = async (root: string, what: string) => {
      const store = await openStore(enc.identity, { name: enc.identity.name, dim: enc.identity.dim, root });
      const again = await extract(store, enc, items, { progress: false });
      assert.equal(again.computed, 0, `${what}: every image was stored`);
      assert.deepEqual(verifyStore(store), [], `${what}: the store verifies`);
      assert.deepEqual([...store.matrix(again.keys).data], direct.flatMap((v) => [...v]), `${what}: the stored vectors equal a direct extraction`);
    };

    const workers = await runExtract(["--encoder", "hf:tiny-vision", "--dataset", "cub", "--jobs", "2", "--root", w.root], w.env);
    assert.equal(workers.code, 0, workers.out);
    const computed = [0, 1].map((i) => Number(workers.out.match(new RegExp(`\\[extract ${i}/2\\] hf:tiny-vision / cub: (\\d+) computed`))![1]));
    assert.equal(computed[0] + computed[1], items.length, `the two workers split the 12 images: ${computed}`);
    await check(w.root, "2 workers");
    const resumed = await runExtract(["--encoder", "hf:tiny-vision", "--dataset", "cub", "--jobs", "1", "--root", w.root], w.env);
    assert.equal(resumed.code, 0, resumed.out);
    assert.match(resumed.out, /\[extract 0\/1\] hf:tiny-vision \/ cub: 0 computed, 12 cached/);

    // Slurm array tasks: the shard comes from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT
    const slurmRoot = join(w.base, "features-slurm");
    const tasks = await Promise.all([0, 1].map((i) =>
      runExtract(["--encoder", "hf:tiny-vision", "--dataset", "cub", "--root", slurmRoot], { ...w.env, SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: "2" })
    ));
    tasks.forEach((t, i) => {
      assert.equal(t.code, 0, t.out);
      assert.match(t.out, new RegExp(`\\[extract ${i}/2\\] hf:tiny-vision / cub: ${computed[i]} computed`), "the same split as the workers'");
    });
    await check(slurmRoot, "2 Slurm array tasks");
    enc.dispose();
  } finally {
    await w.cleanup();
  }
});

Deno.test("extract: a bad SHARELOCK_ variable is refused before any work, naming it; a corrupt shard is repaired and said so on the summary line", async () => {
  const w = await world(2);
  try {
    await assertRefused(["--encoder", "hf:tiny-vision", "--dataset", "cub"], { ...w, env: { ...w.env, SHARELOCK_ORT_THREADS: "abc" } }, [`SHARELOCK_ORT_THREADS="abc"`, "a positive integer"]);
    const first = await runExtract(["--encoder", "hf:tiny-vision", "--dataset", "cub", "--jobs", "1", "--root", w.root], w.env);
    assert.equal(first.code, 0, first.out);
    assert.doesNotMatch(first.out, /moved aside/, "nothing to repair on a fresh store");
    const shards: string[] = [];
    const walk = (d: string) => {
      for (const e of Deno.readDirSync(d)) e.isDirectory ? walk(join(d, e.name)) : /\.f(16|32)$/.test(e.name) && shards.push(join(d, e.name));
    };
    walk(w.root);
    assert.ok(shards.length > 0, "the store has shards");
    const bytes = await Deno.readFile(shards[0]);
    bytes[bytes.length >> 1] ^= 0x10;
    await Deno.writeFile(shards[0], bytes);
    const again = await runExtract(["--encoder", "hf:tiny-vision", "--dataset", "cub", "--jobs", "1", "--root", w.root], w.env);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /\[extract 0\/1\] hf:tiny-vision \/ cub: [1-9]\d* computed, \d+ cached, 0 skipped, [\d.]+ s; .*moved aside/, again.out);
    const last = await runExtract(["--encoder", "hf:tiny-vision", "--dataset", "cub", "--jobs", "1", "--root", w.root], w.env);
    assert.match(last.out, /0 computed, 6 cached, 0 skipped, [\d.]+ s\n/, "repaired: everything cached, nothing more to report");
  } finally {
    await w.cleanup();
  }
});

Deno.test("extract: a worker whose every image fails makes the command fail, naming the shard", async () => {
  const w = await world(1);
  try {
    for (const f of ["red_cat", "blue_apple", "green_mat"]) {
      for (let i = 0; i < 3; i++) await Deno.writeTextFile(join(w.data, "cub", f, `broken_${i}.png`), "not a png");
      await Deno.remove(join(w.data, "cub", f, "img_0.png"));
    }
    const r = await runExtract(["--encoder", "hf:tiny-vision", "--dataset", "cub", "--jobs", "2", "--root", w.root], w.env);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /every one of the \d+ items of this shard failed \(first: cannot decode image/);
    assert.match(r.out, /\[extract\] failed: worker [01]\/2 \(shard [01]\/2\) exited with code 1/);
    assert.doesNotMatch(r.out, /\[extract\] done/);
  } finally {
    await w.cleanup();
  }
});

/** Stop the processes a failed test leaves behind (by pid: only the workers this test started). */
function stopLeftovers(pids: number[]) {
  for (const pid of pids.filter(running)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* ended meanwhile */ }
  }
}

/** Start a 2-worker extraction of 180 images; resolves once both workers run and one has opened its store. */
async function startTwoWorkers(w: Awaited<ReturnType<typeof world>>) {
  const child = command(["--encoder", "hf:tiny-vision", "--dataset", "cub", "--jobs", "2", "--root", w.root], w.env).spawn();
  const output = child.output().then((o) => ({ code: o.code, out: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr) }));
  let workers: number[] = [];
  await until("two workers", () => (workers = childrenOf(child.pid)).length === 2);
  await until("a worker's store", () => existsSync(w.root));
  assert.ok(workers.every(running), "both workers run");
  return { child, output, workers };
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`extract: ${signal} to the command reaches its workers; when it exits no worker remains`, async () => {
    const w = await world(60);
    let workers: number[] = [];
    try {
      const run = await startTwoWorkers(w);
      workers = run.workers;
      run.child.kill(signal);
      const { code, out } = await run.output;
      assert.equal(code, signal === "SIGTERM" ? 143 : 130, out);
      assert.match(out, new RegExp(`stopped by ${signal}; every worker has ended`));
      assert.deepEqual(workers.filter(running), [], `no worker of ${workers} runs after the command exited`);
    } finally {
      stopLeftovers(workers);
      await w.cleanup();
    }
  });
}

Deno.test("extract: workers whose parent is killed outright (SIGKILL) stop by themselves", async () => {
  const w = await world(60);
  let workers: number[] = [];
  try {
    const run = await startTwoWorkers(w);
    workers = run.workers;
    run.child.kill("SIGKILL");
    await until(`workers ${workers} to stop`, () => !workers.some(running), 10_000);
    await run.output; // the workers held the output pipes open until they stopped
  } finally {
    stopLeftovers(workers);
    await w.cleanup();
  }
});
