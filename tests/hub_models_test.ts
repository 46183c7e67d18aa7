/**
 * Every fixture family through `hfTextEncoder` / `hfVisionEncoder`, against the independent reference
 * forward (`fixtures/tiny_reference.ts`): text-generation exports give hidden states, never logits.
 */
import assert from "node:assert/strict";
import sharp from "sharp";
import { join } from "node:path";
import { hfTextEncoder, hfVisionEncoder } from "../lib/encoders/hf/hf.ts";
import { fileSha256 } from "../lib/onnx/hidden_state.ts";
import { readOnnxModel } from "../lib/onnx/reader.ts";
import { probeDevices } from "../lib/runtime/onnx_device.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "../lib/images/image_io.ts";
import {
  DECODER_SPECS,
  decoderWeights,
  encoderVocab,
  encoderWeights,
  expectedBertIds,
  expectedIds,
  visionWeights,
  writeGenaiLayout,
  writeLogitsOnlyBroken,
  writeTinyDecoder,
  writeTinyDinov2,
  writeTinyEncoder,
} from "./fixtures/tiny_hub.ts";
import { decoderHidden, decoderLogits, encoderHidden, roundWeights, visionHidden } from "./fixtures/tiny_reference.ts";

const TEXTS = ["a red cat.", "the cat", "dog on a mat"];
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(b, (x, i) => Math.abs(a[i] - x)));
const near = (got: ArrayLike<number>, want: number[], msg: string, tol = 1e-4) => {
  assert.equal(got.length, want.length, `${msg}: length`);
  const scale = Math.max(1, ...want.map(Math.abs));
  assert.ok(maxDiff(got, want) <= tol * scale, `${msg}: max difference ${maxDiff(got, want)} (got [${Array.from(got).slice(0, 4)}...], want [${want.slice(0, 4)}...])`);
};
const offline = (dir: string) => ({ localModelPath: dir, allowRemote: false });
const mean = (rows: number[][]) => rows[0].map((_, k) => rows.reduce((a, r) => a + r[k], 0) / rows.length);

for (const family of ["llama", "qwen2", "gemma2", "mistral"] as const) {
  Deno.test(`text-generation ${family}: features are the final hidden state of each text's last real token (left padding), not logits`, async () => {
    const dir = await Deno.makeTempDir();
    await writeTinyDecoder(dir, family);
    const enc = await hfTextEncoder({ model: family, ...offline(dir), pooling: "last-token" });
    const spec = DECODER_SPECS[family], w = decoderWeights(spec);
    assert.equal(enc.identity.dim, spec.hidden, "hidden size, not the vocabulary size of logits");
    assert.match(enc.identity.version, /last_hidden_state = LM-head input/);
    const got = await enc.embed(TEXTS); // one batch of three lengths: left padding, position_ids from the mask
    TEXTS.forEach((t, i) => {
      const hidden = decoderHidden(spec, w, expectedIds(family, t));
      near(got[i], hidden.at(-1)!, `${family} "${t}"`);
      const logits = decoderLogits(spec, w, hidden.at(-1)!);
      assert.notEqual(got[i].length, logits.length);
    });
    enc.dispose();
  });
}

Deno.test("text-generation: the edited graph (LM head left out) is written once, keyed by the original's SHA-256, beside nothing of the user's", async () => {
  const dir = await Deno.makeTempDir(), cache = await Deno.makeTempDir();
  const root = await writeTinyDecoder(dir, "llama");
  const before = [...Deno.readDirSync(join(root, "onnx"))].map((e) => e.name).sort();
  const previous = Deno.env.get("SHARELOCK_CACHE_DIR");
  Deno.env.set("SHARELOCK_CACHE_DIR", cache);
  try {
    const a = await hfTextEncoder({ model: "llama", ...offline(dir), pooling: "last-token" });
    const sha = await fileSha256(join(root, "onnx", "model.onnx"));
    const [keyDir] = [...Deno.readDirSync(join(cache, "onnx-hidden-state"))].map((e) => e.name);
    assert.ok(keyDir.startsWith(sha), `cache folder ${keyDir} is keyed by the original's SHA-256 ${sha}`);
    const edited = join(cache, "onnx-hidden-state", keyDir, "model.onnx");
    const m1 = Deno.statSync(edited).mtime!.getTime();
    const g = await readOnnxModel(edited), orig = await readOnnxModel(join(root, "onnx", "model.onnx"));
    assert.deepEqual(g.outputs.map((o) => o.name), ["last_hidden_state"], "logits and present.* are not outputs of the copy");
    assert.ok(!g.nodes.some((n) => n.outputs.includes("logits")) && orig.nodes.some((n) => n.outputs.includes("logits")), "the LM head is left out");
    assert.ok(!g.initializers.some((t) => t.name === "lm_head.weight") && orig.initializers.some((t) => t.name === "lm_head.weight"), "and its weight");
    const usedByCopy = new Set(g.nodes.flatMap((n) => n.inputs));
    assert.ok(g.initializers.every((t) => usedByCopy.has(t.name)), "every weight left is used");
    assert.deepEqual(g.inputs.map((i) => i.name), orig.inputs.map((i) => i.name), "same inputs");
    assert.equal(JSON.parse(Deno.readTextFileSync(join(cache, "onnx-hidden-state", keyDir, "edit.json"))).how, "pruned");
    const b = await hfTextEncoder({ model: "llama", ...offline(dir), pooling: "last-token" });
    assert.equal(Deno.statSync(edited).mtime!.getTime(), m1, "not rewritten");
    assert.deepEqual((await a.embed(["a cat"]))[0], (await b.embed(["a cat"]))[0]);
    assert.deepEqual([...Deno.readDirSync(join(root, "onnx"))].map((e) => e.name).sort(), before, "the model folder is untouched");
    a.dispose();
    b.dispose();
  } finally {
    if (previous === undefined) Deno.env.delete("SHARELOCK_CACHE_DIR");
    else Deno.env.set("SHARELOCK_CACHE_DIR", previous);
  }
});

Deno.test("text-generation with external data: one data file and chunks (_data_1) stay where they are", async () => {
  const dir = await Deno.makeTempDir();
  const spec = DECODER_SPECS.llama, w = decoderWeights(spec);
  await writeTinyDecoder(dir, "llama", "ext-one", { external: ["model.onnx_data"] });
  await writeTinyDecoder(dir, "llama", "ext-chunks", { external: ["model.onnx_data", "model.onnx_data_1"] });
  assert.ok(Deno.statSync(join(dir, "ext-chunks", "onnx", "model.onnx_data_1")).size > 0);
  for (const name of ["ext-one", "ext-chunks"]) {
    const enc = await hfTextEncoder({ model: name, ...offline(dir), pooling: "last-token" });
    const got = await enc.embed(TEXTS);
    TEXTS.forEach((t, i) => near(got[i], decoderHidden(spec, w, expectedIds("llama", t)).at(-1)!, `${name} "${t}"`));
    enc.dispose();
  }
});

Deno.test("text-generation fp16 variant: chosen by the dtype setting from model_fp16.onnx, float16 past/present", async () => {
  const dir = await Deno.makeTempDir();
  const spec = DECODER_SPECS.qwen2, w = roundWeights(decoderWeights(spec));
  await writeTinyDecoder(dir, "qwen2", "q", { fp16: true });
  await assert.rejects(() => hfTextEncoder({ model: "q", ...offline(dir), pooling: "last-token" }), /no fp32 model file .*variants here: fp16 \(model_fp16\.onnx\)/);
  const enc = await hfTextEncoder({ model: "q", ...offline(dir), pooling: "last-token", dtype: "fp16" });
  assert.match(enc.identity.version, /model_fp16\.onnx/);
  const got = await enc.embed(TEXTS);
  TEXTS.forEach((t, i) => near(got[i], decoderHidden(spec, w, expectedIds("qwen2", t)).at(-1)!, `fp16 "${t}"`, 1e-3));
  enc.dispose();
});

Deno.test("text-generation: a logits-only graph without an LM head product is an error that says why", async () => {
  const dir = await Deno.makeTempDir();
  await writeLogitsOnlyBroken(dir);
  await assert.rejects(
    () => hfTextEncoder({ model: "broken-logits-only", ...offline(dir), pooling: "last-token" }),
    (err: Error) => /logits" comes from a Gather node/.test(err.message) && /Logits are never used as features/.test(err.message) && /--task feature-extraction/.test(err.message),
  );
});

Deno.test("hub layouts: onnxruntime-genai folders and missing tokenizers are refused with the fix", async () => {
  const dir = await Deno.makeTempDir();
  await writeGenaiLayout(dir);
  await assert.rejects(() => hfTextEncoder({ model: "genai-layout", ...offline(dir), pooling: "last-token" }), /onnxruntime-genai layout \(genai_config\.json\)/);
  const root = await writeTinyDecoder(dir, "mistral", "no-tok");
  await Deno.remove(join(root, "tokenizer.json"));
  await assert.rejects(() => hfTextEncoder({ model: "no-tok", ...offline(dir), pooling: "last-token" }), /tokenizer\.json is missing/);
});

for (const [family, pooling] of [["bert", "mean"], ["bert", "cls"], ["roberta", "mean"], ["modernbert", "cls"], ["modernbert", "mean"], ["t5", "mean"]] as const) {
  Deno.test(`encoder ${family} (${pooling}): last_hidden_state pooled over the real tokens${family === "t5" ? " of encoder_model.onnx" : ""}`, async () => {
    const dir = await Deno.makeTempDir();
    await writeTinyEncoder(dir, family);
    const enc = await hfTextEncoder({ model: family, ...offline(dir), pooling });
    const w = encoderWeights(encoderVocab(family).length, family === "bert");
    const texts = family === "bert" ? ["a red apple.", "the cat on the mat", "cat"] : TEXTS;
    const got = await enc.embed(texts);
    texts.forEach((t, i) => {
      const rows = encoderHidden(w, family === "bert" ? expectedBertIds(t) : expectedIds(family, t));
      near(got[i], pooling === "mean" ? mean(rows) : rows[0], `${family} ${pooling} "${t}"`);
    });
    if (family === "t5") assert.match(enc.identity.version, /encoder_model\.onnx/);
    enc.dispose();
  });
}

for (const registers of [0, 4]) {
  Deno.test(`vision dinov2${registers ? "_with_registers" : ""}: CLS = row 0 of last_hidden_state, pooler_output, mean of patches${registers ? " without registers" : ""}`, async () => {
    const dir = await Deno.makeTempDir();
    const name = (await writeTinyDinov2(dir, registers)).split("/").at(-1)!;
    const colours = [[255, 0, 0], [40, 200, 90]];
    const files = await Promise.all(colours.map(async ([r, g, b], i) => {
      const f = join(dir, `c${i}.png`);
      await sharp({ create: { width: 300, height: 260, channels: 3, background: { r, g, b } } }).png().toFile(f);
      return f;
    }));
    const w = visionWeights(registers);
    const expected = colours.map((c) => {
      const px = new Float32Array(3 * 224 * 224);
      for (let ch = 0; ch < 3; ch++) px.fill((c[ch] / 255 - IMAGENET_MEAN[ch]) / IMAGENET_STD[ch], ch * 224 * 224, (ch + 1) * 224 * 224);
      return visionHidden(w, px);
    });
    for (const pooling of ["cls", "pooled", "mean"] as const) {
      const enc = await hfVisionEncoder({ model: name, ...offline(dir), pooling });
      const got = await enc.embed(files);
      expected.forEach((rows, i) => near(got[i], pooling === "mean" ? mean(rows.slice(1 + registers)) : rows[0], `${name} ${pooling} image ${i}`, 1e-3));
      enc.dispose();
    }
  });
}

const webgpu = (await probeDevices()).devices.find((d) => d.device === "webgpu")!;
if (!webgpu.usable) console.warn(`[hub_models_test: text-generation on webgpu skipped] ${webgpu.reason}`);

Deno.test({
  name: "text-generation gemma2 on webgpu: the edited graph gives the reference hidden states there too",
  ignore: !webgpu.usable,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    await writeTinyDecoder(dir, "gemma2");
    const enc = await hfTextEncoder({ model: "gemma2", ...offline(dir), pooling: "last-token", device: "webgpu" });
    assert.match(enc.identity.version, /onnxruntime webgpu/);
    const spec = DECODER_SPECS.gemma2, w = decoderWeights(spec);
    const got = await enc.embed(TEXTS);
    TEXTS.forEach((t, i) => near(got[i], decoderHidden(spec, w, expectedIds("gemma2", t)).at(-1)!, `webgpu "${t}"`, 1e-3));
    enc.dispose();
  },
});

Deno.test("hub download: a model that is not local is fetched (config, tokenizer, the dtype's file and its external data chunks) and then runs offline", async () => {
  const served = await Deno.makeTempDir(), local = await Deno.makeTempDir();
  await writeTinyDecoder(served, "llama", "tiny-llama", { external: ["model.onnx_data", "model.onnx_data_1"] });
  const asked: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const m = new URL(req.url).pathname.match(/^\/org\/tiny-llama\/resolve\/main\/(.+)$/);
    asked.push(m?.[1] ?? req.url);
    try {
      return new Response(await Deno.readFile(join(served, "tiny-llama", m![1])));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const { env } = await import("@huggingface/transformers");
  const host = env.remoteHost;
  env.remoteHost = `http://127.0.0.1:${server.addr.port}/`;
  try {
    const enc = await hfTextEncoder({ model: "org/tiny-llama", localModelPath: local, allowRemote: true, pooling: "last-token" });
    for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx", "onnx/model.onnx_data", "onnx/model.onnx_data_1"]) {
      assert.ok(asked.includes(f), `asked for ${f} (asked: ${asked.join(", ")})`);
      assert.ok(Deno.statSync(join(local, "org", "tiny-llama", f)).size > 0, `${f} saved`);
    }
    const spec = DECODER_SPECS.llama, w = decoderWeights(spec);
    near((await enc.embed(["a red cat."]))[0], decoderHidden(spec, w, expectedIds("llama", "a red cat.")).at(-1)!, "downloaded model");
    enc.dispose();
    const n = asked.length;
    (await hfTextEncoder({ model: "org/tiny-llama", localModelPath: local, allowRemote: true, pooling: "last-token" })).dispose();
    assert.equal(asked.length, n, "the second open asks the hub nothing");
  } finally {
    env.remoteHost = host;
    await server.shutdown();
  }
});

Deno.test("vision dinov2 fp16 variant: float16 pixels in, float16 CLS out (widened), from model_fp16.onnx", async () => {
  const dir = await Deno.makeTempDir();
  await writeTinyDinov2(dir, 0, "dino16", { fp16: true });
  const png = join(dir, "c.png");
  await sharp({ create: { width: 300, height: 260, channels: 3, background: { r: 40, g: 200, b: 90 } } }).png().toFile(png);
  const px = new Float32Array(3 * 224 * 224);
  [40, 200, 90].forEach((c, ch) => px.fill(Math.f16round((c / 255 - IMAGENET_MEAN[ch]) / IMAGENET_STD[ch]), ch * 224 * 224, (ch + 1) * 224 * 224));
  const want = visionHidden(roundWeights(visionWeights(0)), px)[0];
  for (const pooling of ["cls", "pooled"] as const) {
    const enc = await hfVisionEncoder({ model: "dino16", ...offline(dir), dtype: "fp16", pooling });
    near((await enc.embed([png]))[0], want, `fp16 ${pooling}`, 2e-3);
    enc.dispose();
  }
});

Deno.test("text-generation without a position_ids input: batches are split by length, so left padding never shifts positions", async () => {
  const dir = await Deno.makeTempDir();
  await writeTinyDecoder(dir, "mistral", "old-export", { noPositionIds: true });
  const enc = await hfTextEncoder({ model: "old-export", ...offline(dir), pooling: "last-token" });
  assert.match(enc.identity.pooling, /never padded/);
  const spec = DECODER_SPECS.mistral, w = decoderWeights(spec);
  const texts = [...TEXTS, "a cat", "a dog"]; // two of equal length share a forward pass
  const got = await enc.embed(texts);
  texts.forEach((t, i) => near(got[i], decoderHidden(spec, w, expectedIds("mistral", t)).at(-1)!, `"${t}"`));
  enc.dispose();
});
