/**
 * The rehearsal world: every model the paper configurations name has a stand-in the doctor passes, every
 * dataset they name loads from the world's data folder in the paper's layout, and notebook 01 runs at
 * paper scale against it, headless, to the end.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CAPTIONS_PAPER, captionNotebookConfig, PROBING_NOTEBOOK_PAPER, probingNotebookConfig } from "../lib/config.ts";
import { inspectModel } from "../lib/encoders/hf/doctor.ts";
import { dataset, PAPER_CAPTION_DATASETS, PAPER_FOLDER_DATASETS } from "../lib/data/registry.ts";
import { listTar, readTarMember } from "../lib/data/tar.ts";
import { loadWinoground } from "../lib/experiments/compositional.ts";
import { buildRehearsalWorld, rehearsalEnv, type RehearsalWorld } from "../lib/rehearsal/world.ts";
import { hubId, paperModelIds, standInFamily } from "../lib/rehearsal/models.ts";
import { tarArchive } from "../lib/rehearsal/tar_write.ts";
import { rehearsalFromEnv, rehearsed, REHEARSAL_TRAIN } from "../lib/train/rehearsal.ts";
import { PAPER_DEFAULTS } from "../lib/train/trainer.ts";
import { REPO_ROOT } from "../lib/runtime/paths.ts";
import { ensureRunnerKernel, pythonPath } from "../scripts/setup.ts";
import { runNotebooks } from "../scripts/notebook_runner.ts";

let built: Promise<RehearsalWorld> | null = null;
/** One world for the whole file (built in a few seconds), removed when the tests end. */
function world(): Promise<RehearsalWorld> {
  built ??= Deno.makeTempDir({ prefix: "rehearsal-" }).then((d) => {
    globalThis.addEventListener("unload", () => Deno.removeSync(d, { recursive: true }));
    return buildRehearsalWorld(join(d, "world"));
  });
  return built;
}

async function withDataDir<T>(dir: string, f: () => Promise<T>): Promise<T> {
  const before = Deno.env.get("SHARELOCK_DATA_DIR");
  Deno.env.set("SHARELOCK_DATA_DIR", dir);
  try {
    return await f();
  } finally {
    if (before === undefined) Deno.env.delete("SHARELOCK_DATA_DIR");
    else Deno.env.set("SHARELOCK_DATA_DIR", before);
  }
}

Deno.test("hub ids and stand-in families come from the registry names; an unknown family is refused by name", () => {
  assert.equal(hubId("hf:onnx-community/Qwen2.5-0.5B:last-token"), "onnx-community/Qwen2.5-0.5B");
  assert.equal(hubId("hf:onnx-community/dinov2-large"), "onnx-community/dinov2-large");
  assert.equal(hubId("use-lite"), null);
  assert.deepEqual(paperModelIds(), ["Xenova/bert-base-uncased", "onnx-community/Qwen2.5-0.5B", "onnx-community/dinov2-large"]);
  assert.deepEqual(["onnx-community/dinov2-large", "onnx-community/Qwen2.5-0.5B", "Xenova/bert-base-uncased", "onnx-community/Llama-3.2-1B", "google-t5/t5-small"].map(standInFamily), ["dinov2", "qwen2", "bert", "llama", "t5"]);
  assert.throws(() => standInFamily("org/phi-3"), /no rehearsal stand-in for "org\/phi-3"/);
});

Deno.test("the rehearsal knob shrinks sizes only, and only when asked", () => {
  const cfg = { scale: "paper", templates: ["a photo of a {}."], train: PAPER_DEFAULTS, scaling: [84_000, 563_000] };
  assert.equal(rehearsed(cfg, false), cfg);
  const r = rehearsed(cfg, true);
  assert.deepEqual(r.templates, cfg.templates);
  assert.equal(r.train.maxSteps, REHEARSAL_TRAIN.maxSteps);
  assert.deepEqual(r.train.projection, { ...PAPER_DEFAULTS.projection, hidden: 64 });
  assert.equal(r.train.loss, PAPER_DEFAULTS.loss);
  assert.deepEqual(r.scaling, [40, 80]);
  assert.match(r.rehearsal!, /SHARELOCK_REHEARSAL=1/);
  assert.equal(rehearsalFromEnv(new Map([["SHARELOCK_REHEARSAL", "1"]])), true);
  assert.equal(rehearsalFromEnv(new Map()), false);
  assert.throws(() => rehearsalFromEnv(new Map([["SHARELOCK_REHEARSAL", "yes"]])), /SHARELOCK_REHEARSAL="yes"/);
  // the paper configurations shrink when a notebook starts in a rehearsal, not when the module loads
  assert.equal(PROBING_NOTEBOOK_PAPER.train.maxSteps, PAPER_DEFAULTS.maxSteps);
  assert.equal(probingNotebookConfig("paper", new Map([["SHARELOCK_REHEARSAL", "1"]])).train.maxSteps, REHEARSAL_TRAIN.maxSteps);
  assert.equal(captionNotebookConfig("paper", new Map([["SHARELOCK_REHEARSAL", "1"]])).train.maxSteps, REHEARSAL_TRAIN.maxSteps);
  assert.equal(captionNotebookConfig("paper", new Map()), CAPTIONS_PAPER);
});

Deno.test("tarArchive writes what the webdataset reader reads", async () => {
  const dir = await Deno.makeTempDir();
  const big = Uint8Array.from({ length: 1300 }, (_, i) => i % 251);
  await Deno.writeFile(join(dir, "s.tar"), tarArchive([{ name: "00001.jpg", data: big }, { name: "00001.txt", data: new TextEncoder().encode("a cat") }]));
  const members = listTar(join(dir, "s.tar"));
  assert.deepEqual(members.map((m) => [m.name, m.size]), [["00001.jpg", 1300], ["00001.txt", 5]]);
  assert.deepEqual(readTarMember(join(dir, "s.tar"), members[0]), big);
  assert.throws(() => tarArchive([{ name: "x".repeat(101), data: big }]), /over 100 bytes/);
});

Deno.test("every model the paper configurations name has a stand-in the doctor passes", async () => {
  const w = await world();
  const names = [PROBING_NOTEBOOK_PAPER.vision, ...PROBING_NOTEBOOK_PAPER.language, CAPTIONS_PAPER.corpus.vision, ...CAPTIONS_PAPER.language];
  for (const id of names.map(hubId).filter((x): x is string => x !== null)) {
    const r = await inspectModel(id, { localModelPath: w.models, allowRemote: false });
    assert.deepEqual(r.problems, [], id);
    assert.ok(r.runs, `${id} runs`);
    assert.equal(r.dir, join(w.models, id));
    if (r.kind === "decoder") {
      // the text-generation-with-past layout: external data and an fp16 variant
      assert.deepEqual(r.files.map((f) => [f.file, f.dtype, f.externalData.map((e) => e.file)]).sort(), [["onnx/model.onnx", "fp32", ["model.onnx_data"]], ["onnx/model_fp16.onnx", "fp16", []]]);
      assert.equal(r.pooling, "last-token");
    }
  }
});

Deno.test("every dataset the paper configurations name loads from the world's data folder", async () => {
  const w = await world();
  await withDataDir(w.data, async () => {
    const named = new Set([...PROBING_NOTEBOOK_PAPER.datasets, ...CAPTIONS_PAPER.corpus.captionSets, ...CAPTIONS_PAPER.corpus.heldOutSets, ...PAPER_FOLDER_DATASETS, ...PAPER_CAPTION_DATASETS.filter((d) => d !== "cc12m")]);
    for (const name of named) {
      const ds = await dataset(name);
      const written = w.datasets.find((d) => d.name === name)!;
      assert.equal(ds.items.length, name === "coco" ? 2 * written.images : written.images, name);
      assert.equal(ds.classes.length, written.classes, name);
      if (PAPER_FOLDER_DATASETS.includes(name as typeof PAPER_FOLDER_DATASETS[number])) assert.ok(ds.classes.length >= 4, `${name}: enough classes for a seen / unseen split`);
    }
    const cc3m = await dataset("cc3m");
    assert.ok(new Set(cc3m.items.map((i) => i.group)).size >= 2, "several shards");
    const members = listTar(join(w.data, "cc3m", "shard-00000.tar")).map((m) => m.name.split(".").pop());
    assert.deepEqual([...new Set(members)].sort(), ["jpg", "json", "txt"]);
    // the variants of ImageNet name the same classes
    const classes = async (n: string) => (await dataset(n)).classes.slice().sort();
    assert.deepEqual(await classes("imagenet-r"), await classes("imagenet"));
    assert.deepEqual(await classes("imagenet-sketch"), await classes("imagenet"));
  });
  const wino = await loadWinoground(join(w.data, "winoground"));
  assert.equal(wino.groups.length, 8);
  for (const it of wino.items) assert.ok((await Deno.stat(it.image_path!)).isFile);
});

Deno.test({
  name: "notebook 01 runs at paper scale against the rehearsal world, headless, to the end",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const w = await world();
    const t0 = performance.now();
    const [r] = await runNotebooks([join(REPO_ROOT, "notebooks", "01_zero_shot_probing.ipynb")], {
      outDir: join(w.outputs, "reports"),
      python: pythonPath(),
      jupyterPath: await ensureRunnerKernel(),
      progress: false,
      env: rehearsalEnv(w),
    });
    assert.equal(r.ok, true, `cell ${r.failed_cell}: ${r.error}`);
    const nb = JSON.parse(await Deno.readTextFile(r.ipynb)) as { cells: { outputs?: { output_type: string; data?: Record<string, unknown> }[] }[] };
    assert.deepEqual(nb.cells.flatMap((c, i) => (c.outputs ?? []).filter((o) => o.output_type === "error").map(() => i + 1)), []);
    // the config table says it is a rehearsal
    assert.match(JSON.stringify(nb.cells[1].outputs), /SHARELOCK_REHEARSAL=1/);
    console.log(`notebook 01 (rehearsal, empty cache): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  },
});
