/**
 * The graph writer behind the rehearsal's model stand-ins: seeded random weights, a small ONNX graph
 * builder with the storage variants the hub publishes (weights embedded, in external data files, or
 * float16), and the blocks the families share (grouped-query attention with masks and a past, RMS norm,
 * layer norm).
 *
 * @example
 * ```ts
 * const g = new Graph();
 * g.input("x", "float32", ["batch", 4]);
 * g.op("MatMul", ["x", g.w("W", mat(seeded(1), [4, 2]))], {}, "y");
 * g.output("y", "float32", ["batch", 2]);
 * await writeModelFiles("/tmp/tiny", "model.onnx", g.build({ external: ["model.onnx_data"] }));
 * ```
 */
import { join } from "node:path";
import { type ExternalRef, node, onnxModel, type OnnxType, tensorProto, valueInfo } from "../onnx/proto.ts";

/** A seeded generator (mulberry32) in [-0.5, 0.5). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/** A weight: row-major values and dims. */
export interface W {
  dims: number[];
  data: Float32Array;
}

/** Write a JSON file (one-space indent, as the hub's files are small enough to read). */
export async function writeJson(path: string, value: unknown) {
  await Deno.writeTextFile(path, JSON.stringify(value, null, 1));
}
interface Init {
  name: string;
  type: OnnxType;
  dims: number[];
  data: Float32Array | BigInt64Array;
  weight: boolean;
}

/** A small graph writer with weight storage variants (embedded, external, fp16). */
export class Graph {
  nodes: Uint8Array[] = [];
  inits: Init[] = [];
  inputs: Uint8Array[] = [];
  outputs: Uint8Array[] = [];
  #n = 0;
  input(name: string, type: OnnxType, shape: (number | string)[]) {
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }
  output(name: string, type: OnnxType, shape: (number | string)[] | null) {
    this.outputs.push(valueInfo(name, type, shape));
  }
  op(type: string, ins: string[], attrs: Record<string, number | number[] | string | { float: number }> = {}, out?: string): string {
    const o = out ?? `/${type.toLowerCase()}_${this.#n++}/output_0`;
    this.nodes.push(node(type, ins, [o], attrs, `/n${this.#n++}/${type}`));
    return o;
  }
  /** A float32 weight (stored as float16 in fp16 models). */
  w(name: string, w: W): string {
    if (this.inits.some((t) => t.name === name)) return name;
    this.inits.push({ name, type: "float32", dims: w.dims, data: w.data, weight: true });
    return name;
  }
  f(values: number[], dims = [values.length]): string {
    const name = `c${this.#n++}`;
    this.inits.push({ name, type: "float32", dims, data: Float32Array.from(values), weight: false });
    return name;
  }
  i(values: number[], dims = [values.length]): string {
    const name = `i${this.#n++}`;
    this.inits.push({ name, type: "int64", dims, data: BigInt64Array.from(values.map(BigInt)), weight: false });
    return name;
  }
  /** The model; `external` lists data file names (initializers go round-robin into them). */
  build(opts: { fp16?: boolean; external?: string[] } = {}): { model: Uint8Array; data: Map<string, Uint8Array> } {
    const inits: Uint8Array[] = [], extraNodes: Uint8Array[] = [];
    const data = new Map<string, number[]>();
    let k = 0;
    for (const t of this.inits) {
      let name = t.name, type: OnnxType = t.type, bytes: Float32Array | BigInt64Array | Uint16Array = t.data;
      if (opts.fp16 && t.weight) {
        name = `${t.name}_fp16`;
        type = "float16";
        bytes = new Uint16Array(Float16Array.from(t.data as Float32Array).buffer);
        extraNodes.push(node("Cast", [name], [t.name], { to: 1 }, `/cast/${t.name}`));
      }
      let ext: ExternalRef | undefined;
      if (opts.external && t.weight) {
        const file = opts.external[k++ % opts.external.length];
        const buf = data.get(file) ?? [];
        const raw = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        ext = { location: file, offset: buf.length, length: raw.length };
        for (const b of raw) buf.push(b);
        data.set(file, buf);
      }
      inits.push(tensorProto(name, type, t.dims, bytes, ext));
    }
    const model = onnxModel({ nodes: [...extraNodes, ...this.nodes], inputs: this.inputs, outputs: this.outputs, initializers: inits, opset: 17 });
    return { model, data: new Map([...data].map(([f, b]) => [f, Uint8Array.from(b)])) };
  }
}

/** Multi-head attention with grouped KV heads, masks and a zero-length-or-more past. */
export function attention(
  g: Graph,
  x: string,
  p: { wq: string; wk: string; wv: string; wo: string; heads: number; kvHeads: number; headDim: number },
  o: { causal: boolean; keyMask: string | null; past?: { key: string; value: string; presentKey: string; presentValue: string; fp16: boolean }; seqOf: string },
): string {
  const { heads, kvHeads, headDim } = p;
  const split = (t: string, n: number) => g.op("Transpose", [g.op("Reshape", [t, g.i([0, 0, n, headDim])])], { perm: [0, 2, 1, 3] });
  const q = split(g.op("MatMul", [x, p.wq]), heads);
  let k = split(g.op("MatMul", [x, p.wk]), kvHeads);
  let v = split(g.op("MatMul", [x, p.wv]), kvHeads);
  if (o.past) {
    const pk = o.past.fp16 ? g.op("Cast", [o.past.key], { to: 1 }) : o.past.key;
    const pv = o.past.fp16 ? g.op("Cast", [o.past.value], { to: 1 }) : o.past.value;
    k = g.op("Concat", [pk, k], { axis: 2 }, o.past.fp16 ? undefined : o.past.presentKey);
    v = g.op("Concat", [pv, v], { axis: 2 }, o.past.fp16 ? undefined : o.past.presentValue);
    if (o.past.fp16) {
      g.op("Cast", [k], { to: 10 }, o.past.presentKey);
      g.op("Cast", [v], { to: 10 }, o.past.presentValue);
    }
  }
  const group = heads / kvHeads;
  const repeat = (t: string) => {
    if (group === 1) return t;
    const u = g.op("Unsqueeze", [t, g.i([2])]);
    return g.op("Reshape", [g.op("Concat", Array(group).fill(u), { axis: 2 }), g.i([0, heads, -1, headDim])]);
  };
  k = repeat(k);
  v = repeat(v);
  let scores = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], { perm: [0, 1, 3, 2] })]), g.f([1 / Math.sqrt(headDim)])]);
  if (o.keyMask) {
    const m = g.op("Cast", [o.keyMask], { to: 1 });
    const bias = g.op("Mul", [g.op("Sub", [g.f([1]), m]), g.f([-1e9])]);
    scores = g.op("Add", [scores, g.op("Unsqueeze", [bias, g.i([1, 2])])]);
  }
  if (o.causal) {
    const tt = g.op("Concat", [o.seqOf, o.seqOf], { axis: 0 });
    const lower = g.op("Trilu", [g.op("Expand", [g.f([1]), tt])], { upper: 0 });
    scores = g.op("Add", [scores, g.op("Mul", [g.op("Sub", [g.f([1]), lower]), g.f([-1e9])])]);
  }
  const att = g.op("MatMul", [g.op("Softmax", [scores], { axis: -1 }), v]);
  const merged = g.op("Reshape", [g.op("Transpose", [att], { perm: [0, 2, 1, 3] }), g.i([0, 0, heads * headDim])]);
  return g.op("Add", [x, g.op("MatMul", [merged, p.wo])]);
}

/** RMS norm over the last axis, times `w`. */
export function rmsNorm(g: Graph, x: string, w: string, eps: number, out?: string): string {
  const ms = g.op("ReduceMean", [g.op("Mul", [x, x])], { axes: [-1], keepdims: 1 });
  return g.op("Mul", [g.op("Div", [x, g.op("Sqrt", [g.op("Add", [ms, g.f([eps])])])]), w], {}, out);
}

/** Layer norm over the last axis. */
export function layerNorm(g: Graph, x: string, w: string, b: string, eps: number): string {
  const mu = g.op("ReduceMean", [x], { axes: [-1], keepdims: 1 });
  const d = g.op("Sub", [x, mu]);
  const v = g.op("ReduceMean", [g.op("Mul", [d, d])], { axes: [-1], keepdims: 1 });
  return g.op("Add", [g.op("Mul", [g.op("Div", [d, g.op("Sqrt", [g.op("Add", [v, g.f([eps])])])]), w]), b]);
}

/** A random weight of `dims` from `rnd`, times `scale`. */
export const mat = (rnd: () => number, dims: number[], scale = 1): W => ({ dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rnd() * scale) });
/** Write a built graph as `<root>/onnx/<file>` with its external data files beside it. */
export async function writeModelFiles(root: string, file: string, built: { model: Uint8Array; data: Map<string, Uint8Array> }) {
  await Deno.mkdir(join(root, "onnx"), { recursive: true });
  await Deno.writeFile(join(root, "onnx", file), built.model);
  for (const [f, b] of built.data) await Deno.writeFile(join(root, "onnx", f), b);
}

export interface AttentionWeights {
  wq: W;
  wk: W;
  wv: W;
  wo: W;
  lnW: W;
  lnB: W;
}

/** An attention block's weights, drawn from `rnd` in a fixed order (hidden H, heads x head size d). */
export function attentionWeights(rnd: () => number, H: number, d: number): AttentionWeights {
  return {
    wq: mat(rnd, [H, d], 2),
    wk: mat(rnd, [H, d], 2),
    wv: mat(rnd, [H, d], 2),
    wo: mat(rnd, [d, H]),
    lnW: { dims: [H], data: Float32Array.from({ length: H }, () => 1 + rnd()) },
    lnB: mat(rnd, [H]),
  };
}

