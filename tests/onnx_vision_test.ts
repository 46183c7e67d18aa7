/**
 * The TF.js -> ONNX converter and the onnxruntime engine of the nsfwjs vision encoders: every op family
 * against TF.js's own kernels on tiny models made here, then the real models against the TF.js engine
 * on real images of every embedded dataset.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { CONVERTER_VERSION, depthwiseToOihw, graphModelToOnnx, hwioToOihw, layersModelToOnnx } from "../lib/onnx/convert/tfjs_to_onnx.ts";
import { convertedVisionModel, onnxVisionEncoder, onnxVisionIdentity, visionEngineFromEnv } from "../lib/encoders/vision/onnx_vision.ts";
import { NSFWJS_VISION, tfjsVisionEncoder } from "../lib/encoders/vision/tfjs_models.ts";
import { embedInBatches } from "../lib/images/image_batches.ts";
import type { ImageInput } from "../lib/encoders/types.ts";
import { EMBEDDED_PLAN } from "../lib/config.ts";
import { dataset } from "../lib/data/registry.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import { type OnnxDevice, ortSessionOptions, probeDevices } from "../lib/runtime/onnx_device.ts";
import { seededRandom } from "../lib/runtime/random.ts";
import { sha256Hex, stableJson } from "../lib/store/feature_store.ts";

const rng = seededRandom(7);
const rand = (n: number, scale = 1, offset = 0) => Float32Array.from({ length: n }, () => offset + scale * (rng.next() * 2 - 1));

/**
 * Largest |a - b| over the largest |b|: the relative error used throughout; the absolute error when `b`
 * is all zeros (a ReLU layer whose randomly initialised units are all off for these inputs).
 */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "same length");
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m > 0 ? d / m : d;
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, shape: number[], device: OnnxDevice = "cpu"): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, ortSessionOptions(device));
  const r = await s.run({ input: new ort.Tensor("float32", x, shape) });
  await s.release();
  return r.features.data as Float32Array;
}

// ---- tiny TF.js graph models, written as TF.js's converter writes them

type Attr = Record<string, unknown>;
const b64 = (s: string) => btoa(s);
const ilist = (...v: number[]) => ({ list: { i: v.map(String) } });

/**
 * A graph model from nodes and constants; float constants are stored 8-bit quantised (as nsfwjs's are)
 * when `quantise`, so the converter sees the same dequantisation path as the real model.
 */
function graphArtifacts(
  inputShape: number[],
  nodes: { name: string; op: string; input: string[]; attr?: Attr }[],
  consts: Record<string, { shape: number[]; data: number[] | Float32Array; dtype?: "float32" | "int32" }>,
  quantise: boolean,
): tf.io.ModelArtifacts {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  const constNodes = Object.entries(consts).map(([name, c]) => {
    const dtype = c.dtype ?? "float32";
    if (dtype === "float32" && quantise && c.data.length > 1) {
      const data = Float32Array.from(c.data);
      const min = Math.min(...data), max = Math.max(...data);
      const scale = (max - min) / 255 || 1;
      parts.push(Uint8Array.from(data, (v) => Math.round((v - min) / scale)));
      specs.push({ name, shape: c.shape, dtype, quantization: { dtype: "uint8", min, scale } });
    } else {
      const arr = dtype === "int32" ? Int32Array.from(c.data) : Float32Array.from(c.data);
      parts.push(new Uint8Array(arr.buffer));
      specs.push({ name, shape: c.shape, dtype });
    }
    const t = dtype === "int32" ? "DT_INT32" : "DT_FLOAT";
    return { name, op: "Const", attr: { value: { tensor: { dtype: t, tensorShape: { dim: c.shape.map((d) => ({ size: String(d) })) } } }, dtype: { type: t } } };
  });
  const total = parts.reduce((a, p) => a + p.length, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) (data.set(p, o), o += p.length);
  const placeholder = { name: "input", op: "Placeholder", attr: { shape: { shape: { dim: inputShape.map((d) => ({ size: String(d) })) } }, dtype: { type: "DT_FLOAT" } } };
  return {
    format: "graph-model",
    modelTopology: { node: [placeholder, ...constNodes, ...nodes.map((n) => ({ ...n, attr: { T: { type: "DT_FLOAT" }, ...n.attr } }))], versions: { producer: 1 } },
    weightSpecs: specs,
    weightData: data.buffer,
  };
}

async function compareGraph(art: tf.io.ModelArtifacts, output: string, shape: number[]) {
  const x = rand(shape.reduce((a, b) => a * b), 1);
  const model = await tf.loadGraphModel(tf.io.fromMemory(art));
  const ref = (model.execute(tf.tensor(x, shape), output) as tf.Tensor).dataSync() as Float32Array;
  model.dispose();
  const got = await runOnnx(graphModelToOnnx(art, (n) => n === output, "tiny"), x, shape);
  return relErr(got, ref);
}

const convAttrs = (stride: number, padding: string, fused: string[]) => ({
  strides: ilist(1, stride, stride, 1), dilations: ilist(1, 1, 1, 1), padding: { s: b64(padding) }, data_format: { s: b64("NHWC") },
  explicit_paddings: { list: {} }, num_args: { i: String(fused.includes("BiasAdd") ? 1 : 0) }, fused_ops: { list: { s: fused.map(b64) } },
});

/** A tiny graph with MobileNetV2's op families (8-bit weights). */
function mobileNetOpsGraph(): tf.io.ModelArtifacts {
  return graphArtifacts([-1, 8, 8, 3], [ // stride 2 SAME on 8 pads 0 before, 1 after (as TF does)
    { name: "mul", op: "Mul", input: ["scale", "input"] },
    { name: "sub", op: "Sub", input: ["mul", "one"] },
    { name: "conv", op: "_FusedConv2D", input: ["sub", "W1", "b1"], attr: convAttrs(2, "SAME", ["BiasAdd", "Relu6"]) },
    { name: "dw", op: "FusedDepthwiseConv2dNative", input: ["conv", "Wd", "bd"], attr: convAttrs(1, "SAME", ["BiasAdd", "Relu"]) },
    { name: "proj", op: "_FusedConv2D", input: ["dw", "W2", "b2"], attr: convAttrs(1, "SAME", ["BiasAdd"]) },
    { name: "add", op: "AddV2", input: ["proj", "dw"] },
    { name: "pool", op: "AvgPool", input: ["add"], attr: { ksize: ilist(1, 4, 4, 1), strides: ilist(1, 1, 1, 1), padding: { s: b64("VALID") }, data_format: { s: b64("NHWC") } } },
    { name: "squeeze", op: "Squeeze", input: ["pool"], attr: { squeeze_dims: ilist(1, 2) } },
    { name: "dense", op: "_FusedMatMul", input: ["squeeze", "Wm", "bm"], attr: { transpose_a: { b: false }, transpose_b: { b: false }, num_args: { i: "1" }, fused_ops: { list: { s: [b64("BiasAdd")] } } } },
    { name: "softmax", op: "Softmax", input: ["dense"] },
  ], {
    scale: { shape: [], data: [2] }, one: { shape: [], data: [1] },
    W1: { shape: [3, 3, 3, 4], data: rand(108, 0.5) }, b1: { shape: [4], data: rand(4, 0.5) },
    Wd: { shape: [3, 3, 4, 2], data: rand(72, 0.5) }, bd: { shape: [8], data: rand(8, 0.5) },
    W2: { shape: [1, 1, 8, 8], data: rand(64, 0.5) }, b2: { shape: [8], data: rand(8, 0.1) },
    Wm: { shape: [8, 5], data: rand(40) }, bm: { shape: [5], data: rand(5) },
  }, true);
}

Deno.test("converter, graph models: scaled input, fused conv (+bias, Relu6), fused depthwise (x2, Relu), residual add, avg pool, squeeze, fused matmul, softmax match TF.js (8-bit weights)", async () => {
  await selectTfBackend();
  const art = mobileNetOpsGraph();
  for (const out of ["conv", "dw", "add", "squeeze", "softmax"]) {
    const err = await compareGraph(art, out, [2, 8, 8, 3]);
    assert.ok(err < 1e-5, `${out}: relative error ${err}`);
  }
});

Deno.test("converter, graph models: pad, plain conv + BiasAdd + Relu, max/avg pool SAME, concat, batch norm, Relu6, reshape in NHWC order, mean, 2-D concat, matmul match TF.js", async () => {
  await selectTfBackend();
  const pool = (op: string, k: number, s: number) => ({ op, attr: { ksize: ilist(1, k, k, 1), strides: ilist(1, s, s, 1), padding: { s: b64("SAME") }, data_format: { s: b64("NHWC") } } });
  const art = graphArtifacts([-1, 6, 6, 2], [
    { name: "pad", op: "Pad", input: ["input", "pads"] },
    { name: "conv", op: "Conv2D", input: ["pad", "W"], attr: { strides: ilist(1, 1, 1, 1), dilations: ilist(1, 1, 1, 1), padding: { s: b64("VALID") }, data_format: { s: b64("NHWC") } } },
    { name: "bias", op: "BiasAdd", input: ["conv", "b"] },
    { name: "relu", op: "Relu", input: ["bias"] },
    { name: "maxp", input: ["relu"], ...pool("MaxPool", 3, 1) },
    { name: "avgp", input: ["relu"], ...pool("AvgPool", 3, 1) },
    { name: "cat", op: "ConcatV2", input: ["maxp", "avgp", "axis3"], attr: { N: { i: "2" } } },
    { name: "bn", op: "FusedBatchNormV3", input: ["cat", "g", "beta", "mean", "var"], attr: { epsilon: { f: 0.001 }, data_format: { s: b64("NHWC") }, is_training: { b: false } } },
    { name: "relu6", op: "Relu6", input: ["bn"] },
    { name: "flat", op: "Reshape", input: ["relu6", "shape"] },
    { name: "gap", op: "Mean", input: ["relu6", "axes"], attr: { keep_dims: { b: false } } },
    { name: "cat2", op: "ConcatV2", input: ["gap", "flat", "axis1"], attr: { N: { i: "2" } } },
    { name: "mm", op: "MatMul", input: ["cat2", "Wm"], attr: { transpose_a: { b: false }, transpose_b: { b: true } } },
  ], {
    pads: { shape: [4, 2], data: [0, 0, 1, 0, 0, 1, 0, 0], dtype: "int32" },
    W: { shape: [2, 2, 2, 3], data: rand(24) }, b: { shape: [3], data: rand(3, 0.3) },
    axis3: { shape: [], data: [3], dtype: "int32" }, axis1: { shape: [], data: [-1], dtype: "int32" },
    g: { shape: [6], data: rand(6, 0.5, 1) }, beta: { shape: [6], data: rand(6) }, mean: { shape: [6], data: rand(6, 0.2) }, var: { shape: [6], data: rand(6, 0.3, 1) },
    shape: { shape: [2], data: [-1, 216], dtype: "int32" }, axes: { shape: [2], data: [1, 2], dtype: "int32" },
    Wm: { shape: [4, 222], data: rand(888, 0.1) },
  }, false);
  for (const out of ["relu", "maxp", "avgp", "bn", "flat", "gap", "mm"]) {
    const err = await compareGraph(art, out, [3, 6, 6, 2]);
    assert.ok(err < 1e-5, `${out}: relative error ${err}`);
  }
});

Deno.test("converter, layers models: conv, batch norm, depthwise, activation, pooling, concatenate, add, flatten, dense match TF.js", async () => {
  await selectTfBackend();
  const input = tf.input({ shape: [7, 7, 3], name: "img" });
  const c1 = tf.layers.conv2d({ name: "c1", filters: 4, kernelSize: 3, padding: "same", useBias: false }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: "bn", scale: false, epsilon: 1e-3 }).apply(c1) as tf.SymbolicTensor;
  const r = tf.layers.activation({ name: "r", activation: "relu" }).apply(bn) as tf.SymbolicTensor;
  const dw = tf.layers.depthwiseConv2d({ name: "dw", kernelSize: 3, depthMultiplier: 2, padding: "same", strides: 2 }).apply(r) as tf.SymbolicTensor;
  const avg = tf.layers.averagePooling2d({ name: "avg", poolSize: 3, strides: 1, padding: "same" }).apply(dw) as tf.SymbolicTensor;
  const max = tf.layers.maxPooling2d({ name: "max", poolSize: 3, strides: 1, padding: "same" }).apply(dw) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: "cat", axis: 3 }).apply([avg, max]) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ name: "c2", filters: 8, kernelSize: 1, activation: "relu", useBias: true }).apply(cat) as tf.SymbolicTensor;
  const add = tf.layers.add({ name: "add" }).apply([c2, dw]) as tf.SymbolicTensor;
  const vpool = tf.layers.maxPooling2d({ name: "vpool", poolSize: 2, padding: "valid" }).apply(add) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: "flat" }).apply(vpool) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ name: "dense", units: 5, activation: "relu" }).apply(flat) as tf.SymbolicTensor;
  const drop = tf.layers.dropout({ name: "drop", rate: 0.5 }).apply(dense) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: drop });
  const bnLayer = model.getLayer("bn");
  bnLayer.setWeights(bnLayer.getWeights().map((w, i) => tf.tensor(rand(w.size, 0.3, i === 2 ? 1 : 0), w.shape)));
  let art: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    art = a;
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
  }));
  const x = rand(2 * 7 * 7 * 3);
  for (const name of ["bn", "dw", "cat", "add", "flat", "drop"]) {
    const sub = tf.model({ inputs: input, outputs: model.getLayer(name).output as tf.SymbolicTensor });
    const ref = (sub.predict(tf.tensor(x, [2, 7, 7, 3])) as tf.Tensor).dataSync() as Float32Array;
    const got = await runOnnx(layersModelToOnnx(art!, name, "tiny"), x, [2, 7, 7, 3]);
    assert.ok(relErr(got, ref) < 1e-5, `${name}: relative error ${relErr(got, ref)}`);
  }
  model.dispose();
});

Deno.test("converter: weight layouts, and unknown ops or layers are errors naming them", () => {
  // HWIO [1,1,2,3] -> OIHW [3,2,1,1]: element (i, o) moves to (o, i)
  assert.deepEqual([...hwioToOihw({ shape: [1, 1, 2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }).data], [1, 4, 2, 5, 3, 6]);
  // depthwise [1,1,C=2,M=2] -> [(C*M),1,1,1] in c*M+m order: the same flat order here
  assert.deepEqual([...depthwiseToOihw({ shape: [1, 1, 2, 2], data: Float32Array.of(1, 2, 3, 4) }).data], [1, 2, 3, 4]);
  const art = graphArtifacts([-1, 4, 4, 1], [{ name: "weird", op: "Erf", input: ["input"] }], {}, false);
  assert.throws(() => graphModelToOnnx(art, (n) => n === "weird", "tiny"), /tiny: op Erf \(node weird\) is not supported/);
  assert.throws(() => graphModelToOnnx(art, (n) => n === "nothing", "tiny"), /no node matches/);
  const layers = { modelTopology: { config: { layers: [
    { name: "in", class_name: "InputLayer", config: { batch_input_shape: [null, 4, 4, 1] }, inbound_nodes: [] },
    { name: "odd", class_name: "LSTM", config: {}, inbound_nodes: [[["in", 0, 0, {}]]] },
  ] } }, weightSpecs: [], weightData: new ArrayBuffer(0) };
  assert.throws(() => layersModelToOnnx(layers, "odd", "tiny"), /layer LSTM \(odd\) is not supported/);
  assert.throws(() => visionEngineFromEnv({ get: () => "torch" }), /SHARELOCK_VISION_ENGINE="torch"/);
});

Deno.test("onnx engine: MobileNetV2 and InceptionV3 equal the TF.js engine to 1e-4 on real images of every embedded dataset; identities differ", async () => {
  await selectTfBackend();
  const images: string[] = [];
  const names = [...new Set(EMBEDDED_PLAN.images.flatMap((j) => j.datasets))];
  for (const name of names) {
    const items = (await dataset(name)).items.filter((it) => it.image_path);
    assert.ok(items.length > 2, `${name} has images`);
    images.push(items[0].image_path!, items[Math.floor(items.length / 2)].image_path!);
  }
  const cacheDir = await Deno.makeTempDir(); // converted here, by the converter under test
  for (const model of ["mobilenet-v2", "inception-v3"] as const) {
    const onnx = await onnxVisionEncoder(model, { batchSize: 4, cacheDir });
    const file = await convertedVisionModel(model, { cacheDir });
    assert.match(file, new RegExp(`${model}-nsfwjs@[\\d.]+-converter${CONVERTER_VERSION}\\.onnx$`), "cache key: package and converter versions");
    const made = (await Deno.stat(file)).mtime;
    assert.equal(await convertedVisionModel(model, { cacheDir }), file);
    assert.deepEqual((await Deno.stat(file)).mtime, made, "converted once, then read from the cache");
    const ref = await tfjsVisionEncoder(model);
    const [a, b] = [await onnx.embed(images), await ref.embed(images)];
    a.forEach((v, i) => {
      const err = relErr(v, b[i]);
      assert.ok(err < 1e-4, `${model}, ${images[i]}: relative error ${err}`);
    });
    assert.equal(onnx.identity.dim, NSFWJS_VISION[model].identity.dim);
    assert.notEqual(await sha256Hex(stableJson(onnx.identity)), await sha256Hex(stableJson(ref.identity)), "engines have different store keys");
    assert.deepEqual(onnxVisionIdentity(model).extra?.engine, "onnxruntime");
    onnx.dispose();
    ref.dispose();
  }
  await Deno.remove(cacheDir, { recursive: true });
});

const webgpu = (await probeDevices()).devices.find((d) => d.device === "webgpu");
Deno.test({
  name: "converter: the converted MobileNetV2 op families give the cpu result on the webgpu device",
  ignore: !webgpu?.usable, // tests/webgpu_test.ts fails under CI when no adapter can be made
  fn: async () => {
    const bytes = graphModelToOnnx(mobileNetOpsGraph(), (n) => n === "softmax", "tiny");
    const x = rand(2 * 8 * 8 * 3);
    const cpu = await runOnnx(bytes, x, [2, 8, 8, 3], "cpu");
    const gpu = await runOnnx(bytes, x, [2, 8, 8, 3], "webgpu");
    assert.ok(relErr(gpu, cpu) < 1e-4, `relative error ${relErr(gpu, cpu)}`);
  },
});

Deno.test("batch loop: the next batch is prepared while the model runs; order kept; a bad look-ahead batch fails in its turn", async () => {
  const log: string[] = [];
  const spec = { size: 1, mode: "pad" as const, layout: "hwc" as const };
  const images = ["a", "b", "c", "d", "e"];
  const prepare = async (batch: ImageInput[]) => {
    log.push(`prep ${batch.join("")} start`);
    await new Promise((r) => setTimeout(r, 5));
    if (batch.includes("bad")) throw new Error("cannot decode image bad");
    log.push(`prep ${batch.join("")} end`);
    return Float32Array.from(batch.flatMap((b) => [String(b).charCodeAt(0), 0, 0]));
  };
  const model = async (pixels: Float32Array, n: number) => {
    log.push(`run ${n} start`);
    await new Promise((r) => setTimeout(r, 20));
    log.push(`run ${n} end`);
    return Float32Array.from({ length: n }, (_, i) => pixels[3 * i]); // dim 1: the image's code
  };
  const out = await embedInBatches(images, { spec, batchSize: 2, dim: 1, prepare }, model);
  assert.deepEqual(out.map((v) => String.fromCharCode(v[0])), images);
  assert.ok(log.indexOf("prep cd start") < log.indexOf("run 2 end"), `overlap: ${log.join(", ")}`);
  await assert.rejects(embedInBatches(["a", "b", "bad"], { spec, batchSize: 2, dim: 1, prepare }, model), /cannot decode image bad/);
  await assert.rejects(embedInBatches(["a"], { spec, batchSize: 2, dim: 2, prepare }, model), /returned 1 values for 1 images of dimension 2/);
});
