/**
 * Run a Hugging Face ONNX export on onnxruntime-node with the feeds its graph asks for: `input_ids`,
 * `attention_mask`, `token_type_ids` (zeros), `position_ids` (cumsum(mask) - 1: left padding keeps each
 * text's real positions), zero-length `past_key_values.{i}.key/value` (shapes from config.json: KV heads,
 * head size), `use_cache_branch` (false), `pixel_values`; float16 graphs get float16 feeds and their
 * outputs are widened to float32. Only hidden-state outputs are fetched.
 *
 * @example
 * ```ts
 * import { readOnnxModel } from "../../onnx/reader.ts";
 * const info = await readOnnxModel("onnx/model.onnx");
 * const s = await openOnnxSession({ path: "onnx/model.onnx", externalDataDir: "onnx", info }, "cpu");
 * const feeds = textFeeds(info, null, { ids: [2, 7, 9], mask: [1, 1, 1], batch: 1, seq: 3 });
 * const { last_hidden_state } = await runGraph(s, feeds, ["last_hidden_state"]);
 * ```
 */
import * as ort from "onnxruntime-node";
import type { OnnxModelInfo, OnnxValueInfo } from "../../onnx/reader.ts";
import type { DecoderDims } from "./hf_layout.ts";
import { type DeviceRequest, type OnnxDevice, ortSessionOptions, resolveDevice } from "../../runtime/onnx_device.ts";

/** An open session and what the graph needs. */
export interface OnnxSession {
  session: ort.InferenceSession;
  info: OnnxModelInfo;
  device: OnnxDevice;
  path: string;
}

/**
 * Open a model file on a device. External data is looked up in `externalDataDir` (the ORIGINAL model's
 * folder, also for an edited copy kept in the cache), through onnxruntime's
 * `session.model_external_initializers_file_folder_path`.
 */
export async function openOnnxSession(
  file: { path: string; externalDataDir: string; info: OnnxModelInfo },
  device?: DeviceRequest,
): Promise<OnnxSession> {
  const dev = await resolveDevice(device);
  const options = ortSessionOptions(dev);
  const external = file.info.initializers.some((t) => t.external);
  try {
    const session = external
      ? await ort.InferenceSession.create(await Deno.readFile(file.path), {
        ...options,
        extra: { session: { model_external_initializers_file_folder_path: file.externalDataDir } },
      } as ort.InferenceSession.SessionOptions)
      : await ort.InferenceSession.create(file.path, options);
    return { session, info: file.info, device: dev, path: file.path };
  } catch (err) {
    throw new Error(`onnxruntime cannot load ${file.path} on ${dev}: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** float32 -> IEEE half bits (round to nearest even). */
export function toHalf(x: number): number {
  const f = new Float32Array([x]), u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000, exp = ((u >>> 23) & 0xff) - 127 + 15, mant = u & 0x7fffff;
  if (exp >= 31) return sign | (((u >>> 23) & 0xff) === 255 && mant ? 0x7e00 : 0x7c00);
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - exp);
    return sign | ((m + 0x1000 + ((m >>> 13) & 1) - 1) >>> 13);
  }
  const h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return rest > 0x1000 || (rest === 0x1000 && (h & 1)) ? h + 1 : h;
}

/** IEEE half bits -> float32. */
export function fromHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** An output tensor as float32 (float16 outputs are widened). */
export function floatData(t: ort.Tensor, name: string): Float32Array {
  if (t.type === "float32") return t.data as Float32Array;
  if (t.type === "float16") {
    const d = t.data as ArrayLike<number>;
    // onnxruntime-node gives Uint16Array bits (or a Float16Array where the runtime has one)
    if (d instanceof Uint16Array) return Float32Array.from(d, fromHalf);
    return Float32Array.from(d);
  }
  throw new Error(`output "${name}" has type ${t.type}, not a floating-point hidden state`);
}

/**
 * A float16 tensor whose data stays a Uint16Array: onnxruntime-common turns Uint16Array data into a
 * Float16Array where the runtime has one, and Deno's Node-API cannot pass a Float16Array to native code
 * (it panics), so the bits are put back.
 */
function float16Tensor(bits: Uint16Array, dims: number[]): ort.Tensor {
  const t = new ort.Tensor("float16", bits, dims);
  (t as unknown as { cpuData: Uint16Array }).cpuData = bits;
  return t;
}

function floatFeed(vi: OnnxValueInfo, data: Float32Array, dims: number[]): ort.Tensor {
  if (vi.dtype === "float16") return float16Tensor(Uint16Array.from(data, toHalf), dims);
  if (vi.dtype === "float32") return new ort.Tensor("float32", data, dims);
  throw new Error(`input "${vi.name}" has type ${vi.dtype}; only float32 and float16 are supported`);
}

function intFeed(vi: OnnxValueInfo, data: number[], dims: number[]): ort.Tensor {
  if (vi.dtype === "int64") return new ort.Tensor("int64", BigInt64Array.from(data, (x) => BigInt(x)), dims);
  if (vi.dtype === "int32") return new ort.Tensor("int32", Int32Array.from(data), dims);
  throw new Error(`input "${vi.name}" has type ${vi.dtype}; expected int64 or int32`);
}

/** Position ids from a mask: cumsum(mask) - 1 on attended tokens, 1 on padding (as transformers). Pure. */
export function positionIds(mask: ArrayLike<number>, batch: number, seq: number): number[] {
  const out = new Array<number>(batch * seq);
  for (let b = 0; b < batch; b++) {
    let c = 0;
    for (let t = 0; t < seq; t++) {
      const on = Number(mask[b * seq + t]) !== 0;
      if (on) c++;
      out[b * seq + t] = on ? c - 1 : 1;
    }
  }
  return out;
}

/** A tokenized batch. */
export interface TokenBatch {
  ids: number[];
  mask: number[];
  batch: number;
  seq: number;
}

/**
 * The feeds of a text graph for a batch; every graph input must be one this function knows (else an
 * error naming it). `dims` is needed only when the graph has `past_key_values.*` inputs.
 */
export function textFeeds(info: OnnxModelInfo, dims: DecoderDims | null, tb: TokenBatch): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const shape = [tb.batch, tb.seq];
  for (const vi of info.inputs) {
    const past = vi.name.match(/^past_key_values\.(\d+)\.(key|value)$/);
    if (vi.name === "input_ids") feeds[vi.name] = intFeed(vi, tb.ids, shape);
    else if (vi.name === "attention_mask") feeds[vi.name] = intFeed(vi, tb.mask, shape);
    else if (vi.name === "token_type_ids") feeds[vi.name] = intFeed(vi, new Array(tb.ids.length).fill(0), shape);
    else if (vi.name === "position_ids") feeds[vi.name] = intFeed(vi, positionIds(tb.mask, tb.batch, tb.seq), shape);
    else if (past) {
      if (!dims) throw new Error(`input "${vi.name}" needs the decoder's dimensions from config.json`);
      const layer = Number(past[1]);
      if (layer >= dims.layers) throw new Error(`input "${vi.name}": config.json says num_hidden_layers = ${dims.layers}`);
      // declared numbers in the graph win over the config (they are what the graph accepts)
      const kvHeads = typeof vi.shape?.[1] === "number" ? vi.shape[1] as number : dims.kvHeads;
      const headDim = typeof vi.shape?.[3] === "number" ? vi.shape[3] as number : dims.headDim;
      feeds[vi.name] = floatFeed(vi, new Float32Array(0), [tb.batch, kvHeads, 0, headDim]);
    } else if (vi.name === "use_cache_branch") feeds[vi.name] = new ort.Tensor("bool", Uint8Array.from([0]), [1]);
    else if (vi.name === "num_logits_to_keep" || vi.name === "logits_to_keep") feeds[vi.name] = new ort.Tensor("int64", BigInt64Array.from([0n]), []);
    else throw new Error(`${info.path}: graph input "${vi.name}" (${vi.dtype}) is not one a text encoder can fill`);
  }
  if (!feeds.input_ids) throw new Error(`${info.path}: the graph has no "input_ids" input (inputs: ${info.inputs.map((i) => i.name).join(", ")})`);
  return feeds;
}

/** Run a graph and return the requested outputs as float32 with their dims. */
export async function runGraph(
  s: OnnxSession,
  feeds: Record<string, ort.Tensor>,
  outputs: string[],
): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const missing = outputs.filter((o) => !s.session.outputNames.includes(o));
  if (missing.length) throw new Error(`${s.path}: no output ${missing.map((m) => `"${m}"`).join(", ")} (outputs: ${s.session.outputNames.join(", ")})`);
  const res = await s.session.run(feeds, outputs);
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const o of outputs) out[o] = { data: floatData(res[o], o), dims: [...res[o].dims] };
  for (const t of Object.values(res)) t.dispose?.();
  return out;
}

/** The feed of `pixel_values` (float32 or float16 as the graph declares). */
export function pixelFeeds(info: OnnxModelInfo, flat: Float32Array, dims: number[]): Record<string, ort.Tensor> {
  const vi = info.inputs.find((i) => i.name === "pixel_values");
  if (!vi) throw new Error(`${info.path}: the graph has no "pixel_values" input (inputs: ${info.inputs.map((i) => i.name).join(", ")})`);
  const other = info.inputs.filter((i) => i.name !== "pixel_values");
  if (other.length) throw new Error(`${info.path}: graph inputs ${other.map((i) => `"${i.name}"`).join(", ")} are not ones a vision encoder can fill`);
  return { pixel_values: floatFeed(vi, flat, dims) };
}
