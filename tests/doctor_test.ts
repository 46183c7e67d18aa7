/** The model doctor on every fixture family and on broken folders: what it is, whether it runs, why not. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatModelReport, inspectModel } from "../lib/encoders/hf/doctor.ts";
import { writeGenaiLayout, writeLogitsOnlyBroken, writeTinyDecoder, writeTinyDinov2, writeTinyEncoder } from "./fixtures/tiny_hub.ts";

const dir = await Deno.makeTempDir();
const FAMILIES: [string, () => Promise<string>, string, string][] = [
  ["llama", () => writeTinyDecoder(dir, "llama"), "decoder", "last-token"],
  ["qwen2", () => writeTinyDecoder(dir, "qwen2"), "decoder", "last-token"],
  ["gemma2", () => writeTinyDecoder(dir, "gemma2", "gemma2", { external: ["model.onnx_data", "model.onnx_data_1"] }), "decoder", "last-token"],
  ["mistral", () => writeTinyDecoder(dir, "mistral"), "decoder", "last-token"],
  ["bert", () => writeTinyEncoder(dir, "bert"), "encoder", "mean"],
  ["roberta", () => writeTinyEncoder(dir, "roberta"), "encoder", "mean"],
  ["modernbert", () => writeTinyEncoder(dir, "modernbert"), "encoder", "mean"],
  ["t5", () => writeTinyEncoder(dir, "t5"), "encoder", "mean"],
  ["dinov2", () => writeTinyDinov2(dir, 0), "vision", "cls"],
  ["dinov2_with_registers", () => writeTinyDinov2(dir, 4), "vision", "cls"],
];
for (const [, make] of FAMILIES) await make();

Deno.test("doctor: explains every fixture family and times one batch", async () => {
  for (const [name, , kind, pooling] of FAMILIES) {
    const r = await inspectModel(name, { localModelPath: dir, allowRemote: false, device: "cpu", batch: 4 });
    assert.equal(r.runs, true, `${name}: ${JSON.stringify(r.problems)}`);
    assert.equal(r.family, name);
    assert.equal(r.kind, kind, name);
    assert.equal(r.pooling, pooling, name);
    assert.equal(r.device, "cpu");
    assert.ok(r.batchMs !== null && r.batchMs > 0 && r.batch === 4, name);
    assert.ok(r.featureDim! > 0);
    if (kind === "decoder") {
      assert.match(r.hiddenState!, /LM-head input \/model\/norm\/Mul_1_output_0/);
      assert.deepEqual([r.dims.kvHeads, r.dims.layers], [2, 2]);
      assert.ok(r.outputs.some((o) => o.startsWith("logits")) && r.inputs.some((i) => i.startsWith("past_key_values.1.value")));
    }
    if (name === "gemma2") assert.deepEqual(r.files[0].externalData.map((d) => d.file), ["model.onnx_data", "model.onnx_data_1"]);
    if (name === "t5") assert.equal(r.chosen, "onnx/encoder_model.onnx");
    assert.match(formatModelReport(r), /RUNS HERE/);
  }
});

Deno.test("doctor: each broken folder gets its reason and fix", async () => {
  const bad = await Deno.makeTempDir();
  const opts = { localModelPath: bad, allowRemote: false, device: "cpu" as const };
  const cases: [string, () => Promise<unknown>, RegExp, RegExp][] = [
    ["broken-logits-only", () => writeLogitsOnlyBroken(bad), /"logits" comes from a Gather node.*logits are never used/, /--task feature-extraction/],
    ["genai-layout", () => writeGenaiLayout(bad), /onnxruntime-genai layout/, /onnx-community|text-generation-with-past/],
    ["no-tokenizer", async () => Deno.remove(join(await writeTinyDecoder(bad, "llama", "no-tokenizer"), "tokenizer.json")), /tokenizer\.json is missing/, /copy tokenizer\.json/],
    ["no-data", async () => Deno.remove(join(await writeTinyDecoder(bad, "llama", "no-data", { external: ["model.onnx_data"] }), "onnx", "model.onnx_data")), /keeps weights in model\.onnx_data/, /download model\.onnx_data/],
    ["fp16-only", () => writeTinyDecoder(bad, "qwen2", "fp16-only", { fp16: true }), /no fp32 model file.*variants here: fp16/, /set the dtype/],
    ["absent", () => Promise.resolve(), /cannot load "absent"/, /SHARELOCK_MODELS_DIR/],
  ];
  for (const [name, make, reason, fix] of cases) {
    await make();
    const r = await inspectModel(name, opts);
    assert.equal(r.runs, false, name);
    assert.ok(r.problems.some((p) => reason.test(p.reason) && fix.test(p.fix)), `${name}: ${JSON.stringify(r.problems)}`);
    assert.match(formatModelReport(r), /WILL NOT RUN/);
  }
  const small = await inspectModel("llama", { localModelPath: dir, allowRemote: false, device: "cpu", availableMemoryBytes: 1 << 20 });
  assert.ok(small.problems.some((p) => /too little memory/.test(p.reason)), JSON.stringify(small.problems));
});

Deno.test("deno task doctor: prints the report, exit status 1 for a model that will not run", async () => {
  const bad = await Deno.makeTempDir();
  await writeLogitsOnlyBroken(bad);
  const run = (model: string, models: string) =>
    new Deno.Command(Deno.execPath(), { args: ["run", "-A", "scripts/doctor.ts", "--models-dir", models, "--device", "cpu", "--no-run", model], stdout: "piped", stderr: "piped" }).output();
  const ok = await run("mistral", dir), broken = await run("broken-logits-only", bad);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  assert.equal(ok.code, 0, text(ok.stderr));
  assert.match(text(ok.stdout), /family +mistral \(decoder\)[\s\S]*RUNS HERE/);
  assert.equal(broken.code, 1);
  assert.match(text(broken.stdout), /WILL NOT RUN[\s\S]*fix +export the model for feature extraction/);
});

Deno.test("preflight: a Hugging Face model that will not run is named with the doctor's reason and fix, before any loading", async () => {
  const { preflight } = await import("../lib/experiments/preflight.ts");
  const bad = await Deno.makeTempDir();
  const broken = await writeLogitsOnlyBroken(bad);
  const problems = await preflight({ datasets: [], vision: `hf:${join(dir, "dinov2")}`, language: [`hf:${broken}:last-token`, `hf:${join(dir, "qwen2")}:last-token`] });
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], /^language encoder hf:.*broken-logits-only:last-token: .*no hidden state.*\(fix: export the model for feature extraction/);
});
