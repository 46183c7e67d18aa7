/**
 * Building blocks of the TF.js -> ONNX converter (see `tfjs_to_onnx.ts`): weight decoding and layouts,
 * and the emitter of ONNX ops for TF ops and Keras layers.
 *
 * @example
 * ```ts
 * const w = hwioToOihw({ shape: [1, 1, 2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }); // [3, 2, 1, 1]
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { GraphBuilder } from "../proto.ts";
/** Bump when the converter's output changes: it is part of the converted models' cache key. */
export const CONVERTER_VERSION = 1;

/** A decoded constant. */
export interface Weight {
  shape: number[];
  data: Float32Array;
}

/** Decode (and dequantise) every weight of a TF.js model. */
export function decodeWeights(artifacts: tf.io.ModelArtifacts): Map<string, Weight> {
  const map = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, artifacts.weightSpecs ?? []);
  const out = new Map<string, Weight>();
  for (const [name, t] of Object.entries(map)) {
    out.set(name, { shape: t.shape, data: Float32Array.from(t.dataSync() as ArrayLike<number>) });
    t.dispose();
  }
  return out;
}

/** Transpose a 4-D tensor: output axis k is input axis `perm[k]`. Pure. */
export function transpose4(w: Weight, perm: number[]): Weight {
  const inStrides = [w.shape[1] * w.shape[2] * w.shape[3], w.shape[2] * w.shape[3], w.shape[3], 1];
  const shape = perm.map((p) => w.shape[p]);
  const st = perm.map((p) => inStrides[p]);
  const out = new Float32Array(w.data.length);
  let o = 0;
  for (let a = 0; a < shape[0]; a++) {
    for (let b = 0; b < shape[1]; b++) {
      for (let c = 0; c < shape[2]; c++) {
        const base = a * st[0] + b * st[1] + c * st[2];
        for (let d = 0; d < shape[3]; d++) out[o++] = w.data[base + d * st[3]];
      }
    }
  }
  return { shape, data: out };
}

/** HWIO -> OIHW. Pure. */
export function hwioToOihw(w: Weight): Weight {
  return transpose4(w, [3, 2, 0, 1]);
}

/** Depthwise H W C M -> (C*M) 1 H W (output channel c*M + m, as TF orders them). Pure. */
export function depthwiseToOihw(w: Weight): Weight {
  const [H, W, C, M] = w.shape;
  return { shape: [C * M, 1, H, W], data: transpose4(w, [2, 3, 0, 1]).data };
}

/** NHWC axis -> NCHW axis. */
export const NCHW_AXIS = [0, 2, 3, 1];

/** A converted value: its ONNX name and whether it is a 4-D tensor held as NCHW. */
export interface Value {
  name: string;
  nchw: boolean;
}

export type Activation = "linear" | "relu" | "relu6";

/**
 * The converter's own op emitters, shared by the graph-model and layers-model paths: NCHW inside, NHWC
 * at the edges, weights converted on the way.
 *
 * @example
 * ```ts
 * const e = new Emitter("tiny");
 * const x = e.input("input", [null, 8, 8, 3]);
 * const bytes = e.finish(e.pool(x, "avg", [2, 2], [2, 2], "VALID", "pool"), "features");
 * ```
 */
export class Emitter {
  readonly g = new GraphBuilder();
  #n = 0;

  constructor(readonly what: string) {}

  fresh(prefix: string): string {
    return `${prefix.replace(/[^A-Za-z0-9_]/g, "_").slice(-40)}_${this.#n++}`;
  }

  weight(prefix: string, w: Weight): string {
    return this.g.tensor(this.fresh(prefix), w.shape, w.data);
  }

  /** NHWC graph input, transposed once to NCHW. */
  input(name: string, shape: (number | null)[]): Value {
    const x = this.g.input(name, "float32", shape.map((d, i) => d === null || d < 0 ? (i === 0 ? "batch" : `d${i}`) : d));
    return { name: this.g.op("Transpose", [x], { perm: [0, 3, 1, 2] }), nchw: true };
  }

  activation(x: string, act: Activation, where: string): string {
    if (act === "linear") return x;
    if (act === "relu") return this.g.op("Relu", [x]);
    if (act === "relu6") return this.g.op("Clip", [x, this.g.const([0], "float32", []), this.g.const([6], "float32", [])]);
    throw new Error(`${this.what}: activation "${act}" at ${where} is not supported by the ONNX converter`);
  }

  /** TF padding -> ONNX attributes; `explicit` is TF's 8 NHWC numbers. */
  padAttrs(padding: string, explicit: number[] | undefined, where: string): Record<string, string | number[]> {
    const p = padding.toUpperCase();
    if (p === "SAME") return { auto_pad: "SAME_UPPER" };
    if (p === "VALID") return { auto_pad: "VALID" };
    if (p === "EXPLICIT" && explicit?.length === 8) return { pads: [explicit[2], explicit[4], explicit[3], explicit[5]] };
    throw new Error(`${this.what}: padding "${padding}" at ${where} is not supported by the ONNX converter`);
  }

  conv(
    x: Value,
    kernel: Weight,
    bias: Weight | undefined,
    o: { depthwise: boolean; strides: number[]; dilations: number[]; padding: string; explicit?: number[]; act: Activation; where: string },
  ): Value {
    if (!x.nchw) throw new Error(`${this.what}: convolution ${o.where} needs a 4-D input`);
    const w = o.depthwise ? depthwiseToOihw(kernel) : hwioToOihw(kernel);
    const inputs = [x.name, this.weight(`${o.where}_W`, w)];
    if (bias) inputs.push(this.weight(`${o.where}_B`, bias));
    const y = this.g.op("Conv", inputs, {
      kernel_shape: [kernel.shape[0], kernel.shape[1]],
      strides: o.strides,
      dilations: o.dilations,
      group: o.depthwise ? kernel.shape[2] : 1,
      ...this.padAttrs(o.padding, o.explicit, o.where),
    });
    return { name: this.activation(y, o.act, o.where), nchw: true };
  }

  pool(x: Value, kind: "avg" | "max", size: number[], strides: number[], padding: string, where: string): Value {
    if (!x.nchw) throw new Error(`${this.what}: pooling ${where} needs a 4-D input`);
    const attrs: Record<string, string | number | number[]> = { kernel_shape: size, strides, ...this.padAttrs(padding, undefined, where) };
    if (kind === "avg") attrs.count_include_pad = 0; // TF averages over the valid (unpadded) window
    return { name: this.g.op(kind === "avg" ? "AveragePool" : "MaxPool", [x.name], attrs), nchw: true };
  }

  batchNorm(x: Value, p: { scale?: Weight; offset?: Weight; mean: Weight; variance: Weight; epsilon: number }, where: string): Value {
    const c = p.mean.data.length;
    const scale = p.scale ?? { shape: [c], data: new Float32Array(c).fill(1) };
    const offset = p.offset ?? { shape: [c], data: new Float32Array(c) };
    if (!x.nchw) throw new Error(`${this.what}: batch normalisation ${where} needs a 4-D input`);
    const ins = [x.name, this.weight(`${where}_g`, scale), this.weight(`${where}_b`, offset), this.weight(`${where}_m`, p.mean), this.weight(`${where}_v`, p.variance)];
    return { name: this.g.op("BatchNormalization", ins, { epsilon: { float: p.epsilon } }), nchw: true };
  }

  /** Back to NHWC order (for reshapes and flattening that follow TF's element order). */
  toNhwc(x: Value): string {
    return x.nchw ? this.g.op("Transpose", [x.name], { perm: [0, 2, 3, 1] }) : x.name;
  }

  /** A constant operand of an elementwise op, shaped to broadcast against `other`. */
  constOperand(w: Weight, other: Value, where: string): string {
    if (w.shape.length <= 1 || !other.nchw) {
      if (other.nchw && w.shape.length === 1 && w.data.length > 1) {
        return this.weight(`${where}_c`, { shape: [1, w.data.length, 1, 1], data: w.data });
      }
      return this.weight(`${where}_c`, w);
    }
    if (w.shape.length === 4) return this.g.op("Transpose", [this.weight(`${where}_c`, w)], { perm: [0, 3, 1, 2] });
    throw new Error(`${this.what}: constant of shape [${w.shape}] at ${where} cannot be broadcast in NCHW`);
  }

  matmul(x: Value, w: Weight, bias: Weight | undefined, transposeB: boolean, act: Activation, where: string): Value {
    if (x.nchw) throw new Error(`${this.what}: matmul ${where} on a 4-D input`);
    let k = w;
    if (transposeB) {
      const [O, I] = w.shape;
      const d = new Float32Array(w.data.length);
      for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) d[i * O + o] = w.data[o * I + i];
      k = { shape: [I, O], data: d };
    }
    let y = this.g.op("MatMul", [x.name, this.weight(`${where}_W`, k)]);
    if (bias) y = this.g.op("Add", [y, this.weight(`${where}_B`, bias)]);
    return { name: this.activation(y, act, where), nchw: false };
  }

  /** The model with `out` as output `name`, in TF's layout (4-D outputs back to NHWC). */
  finish(out: Value, name: string): Uint8Array {
    this.g.output(this.toNhwc(out), name);
    return this.g.model(name);
  }
}

