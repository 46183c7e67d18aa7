/**
 * Convert TF.js models to ONNX with the project's own writer (`lib/onnx/proto.ts`), so that the same
 * pretrained weights run on onnxruntime (threads, GPU providers) instead of TF.js.
 *
 * - Graph models (TF SavedModel conversions; nsfwjs's MobileNetV2): the subgraph that computes one named
 *   node. Ops: Placeholder, Const, Identity, Conv2D / _FusedConv2D, DepthwiseConv2dNative /
 *   FusedDepthwiseConv2dNative (fused BiasAdd, Relu, Relu6), BiasAdd, Relu, Relu6, Add / AddV2 / Mul /
 *   Sub / RealDiv, FusedBatchNorm(V3), AvgPool, MaxPool, Mean, Squeeze, Reshape, ConcatV2, Pad,
 *   MatMul / _FusedMatMul, Softmax.
 * - Layers models (Keras; nsfwjs's InceptionV3): the model up to one named layer. Layers: InputLayer,
 *   Conv2D, DepthwiseConv2D, BatchNormalization, Activation, ReLU, MaxPooling2D, AveragePooling2D,
 *   GlobalAveragePooling2D, Concatenate, Add, Flatten, Dense, Dropout.
 *
 * Layout: TF.js is NHWC, ONNX convolutions are NCHW. The graph takes NHWC input (the same pixels as the
 * TF.js path), transposes once, and every 4-D tensor inside is NCHW; weights are converted (HWIO ->
 * OIHW; depthwise H W C M -> (C*M) 1 H W with group C). Weights are decoded, 8-bit quantised ones
 * dequantised, by TF.js's own `tf.io.decodeWeights`, so both engines start from identical numbers.
 * An op or layer not listed is an error that names it and its node.
 *
 * @example
 * ```ts
 * const artifacts = loadUmdArtifacts(`${pkg}/dist/models/mobilenet_v2_mid`);
 * const bytes = graphModelToOnnx(artifacts, (n) => n.endsWith("feature_vector/SpatialSqueeze"));
 * await Deno.writeFile("mobilenet.onnx", bytes);
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import { GraphBuilder } from "../onnx/proto.ts";

/** Bump when the converter's output changes: it is part of the converted models' cache key. */
export const CONVERTER_VERSION = 1;

/** A decoded constant. */
interface Weight {
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
const NCHW_AXIS = [0, 2, 3, 1];

/** A converted value: its ONNX name and whether it is a 4-D tensor held as NCHW. */
interface Value {
  name: string;
  nchw: boolean;
}

type Activation = "linear" | "relu" | "relu6";

/** The converter's own op emitters, shared by the graph-model and layers-model paths. */
class Emitter {
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

// ---------------------------------------------------------------- graph models

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; i?: string; f?: number; b?: boolean; list?: { i?: string[]; s?: string[] }; tensor?: unknown }>;
}

const str = (b64?: string) => (b64 ? atob(b64) : "");
const ints = (a: TfNode["attr"], k: string) => (a?.[k]?.list?.i ?? []).map(Number);

/**
 * Convert the part of a TF.js graph model that computes the first node `isOutput` accepts.
 * The ONNX model has input `input` (NHWC float32, batch dimension free) and output `features`.
 */
export function graphModelToOnnx(artifacts: tf.io.ModelArtifacts, isOutput: (name: string) => boolean, what = "graph model"): Uint8Array {
  const nodes = (artifacts.modelTopology as { node: TfNode[] }).node;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const target = nodes.find((n) => isOutput(n.name));
  if (!target) throw new Error(`${what}: no node matches the requested output`);
  const weights = decodeWeights(artifacts);
  const e = new Emitter(what);
  const values = new Map<string, Value>();
  const clean = (ref: string) => ref.replace(/:\d+$/, "");
  const dataInputs = (n: TfNode) => (n.input ?? []).filter((i) => !i.startsWith("^")).map(clean);
  const constOf = (name: string, where: string): Weight => {
    const n = byName.get(name);
    if (n?.op === "Identity") return constOf(dataInputs(n)[0], where);
    const w = weights.get(name);
    if (!w) throw new Error(`${what}: node ${where} expects a constant input ${name}, which has no weights`);
    return w;
  };
  const isConst = (name: string): boolean => {
    const n = byName.get(name);
    return n?.op === "Const" || (n?.op === "Identity" && isConst(dataInputs(n)[0]));
  };

  const convert = (name: string): Value => {
    const known = values.get(name);
    if (known) return known;
    const n = byName.get(name);
    if (!n) throw new Error(`${what}: node ${name} is referenced but not defined`);
    const ins = dataInputs(n);
    const v = (i: number) => convert(ins[i]);
    const a = n.attr;
    const fused = (a?.fused_ops?.list?.s ?? []).map(str);
    let out: Value;
    switch (n.op) {
      case "Placeholder": {
        const dims = (a?.shape as unknown as { shape?: { dim?: { size: string }[] } })?.shape?.dim?.map((d) => Number(d.size)) ?? [];
        if (dims.length !== 4) throw new Error(`${what}: input ${name} is not a 4-D image tensor (shape [${dims}])`);
        out = e.input("input", dims);
        break;
      }
      case "Identity":
        out = v(0);
        break;
      case "Conv2D":
      case "_FusedConv2D":
      case "DepthwiseConv2dNative":
      case "FusedDepthwiseConv2dNative": {
        if (str(a?.data_format?.s) && str(a?.data_format?.s) !== "NHWC") throw new Error(`${what}: ${n.op} ${name}: only NHWC is supported`);
        const depthwise = n.op.includes("Depthwise");
        const extra = fused.filter((f) => !["BiasAdd", "Relu", "Relu6"].includes(f));
        if (extra.length) throw new Error(`${what}: ${n.op} ${name} fuses ${extra.join(", ")}, which the ONNX converter does not support`);
        const bias = fused.includes("BiasAdd") ? constOf(ins[2], name) : undefined;
        const strides = ints(a, "strides"), dil = ints(a, "dilations");
        out = e.conv(v(0), constOf(ins[1], name), bias, {
          depthwise,
          strides: [strides[1] ?? 1, strides[2] ?? 1],
          dilations: dil.length ? [dil[1], dil[2]] : [1, 1],
          padding: str(a?.padding?.s),
          explicit: ints(a, "explicit_paddings"),
          act: fused.includes("Relu6") ? "relu6" : fused.includes("Relu") ? "relu" : "linear",
          where: name,
        });
        break;
      }
      case "BiasAdd": {
        const x = v(0);
        out = { name: e.g.op("Add", [x.name, e.constOperand(constOf(ins[1], name), x, name)]), nchw: x.nchw };
        break;
      }
      case "Relu":
        out = { name: e.activation(v(0).name, "relu", name), nchw: v(0).nchw };
        break;
      case "Relu6":
        out = { name: e.activation(v(0).name, "relu6", name), nchw: v(0).nchw };
        break;
      case "Add":
      case "AddV2":
      case "Mul":
      case "Sub":
      case "RealDiv": {
        const onnxOp = { Add: "Add", AddV2: "Add", Mul: "Mul", Sub: "Sub", RealDiv: "Div" }[n.op]!;
        const [c0, c1] = [isConst(ins[0]), isConst(ins[1])];
        if (c0 && c1) throw new Error(`${what}: ${n.op} ${name} of two constants is not supported`);
        const x0 = c0 ? undefined : v(0), x1 = c1 ? undefined : v(1);
        if (x0 && x1 && x0.nchw !== x1.nchw) throw new Error(`${what}: ${n.op} ${name} mixes 4-D and other tensors`);
        const ref = (x0 ?? x1)!;
        const a0 = x0 ? x0.name : e.constOperand(constOf(ins[0], name), ref, name);
        const a1 = x1 ? x1.name : e.constOperand(constOf(ins[1], name), ref, name);
        out = { name: e.g.op(onnxOp, [a0, a1]), nchw: ref.nchw };
        break;
      }
      case "FusedBatchNorm":
      case "FusedBatchNormV3": {
        const eps = a?.epsilon?.f ?? 1e-3;
        out = e.batchNorm(v(0), { scale: constOf(ins[1], name), offset: constOf(ins[2], name), mean: constOf(ins[3], name), variance: constOf(ins[4], name), epsilon: eps }, name);
        break;
      }
      case "AvgPool":
      case "MaxPool": {
        const k = ints(a, "ksize"), s = ints(a, "strides");
        out = e.pool(v(0), n.op === "AvgPool" ? "avg" : "max", [k[1], k[2]], [s[1], s[2]], str(a?.padding?.s), name);
        break;
      }
      case "Mean": {
        const x = v(0);
        const axes = Array.from(constOf(ins[1], name).data).map((d) => (x.nchw ? NCHW_AXIS[d] : d));
        const keep = a?.keep_dims?.b ? 1 : 0;
        out = { name: e.g.op("ReduceMean", [x.name], { axes, keepdims: keep }), nchw: x.nchw && keep === 1 };
        break;
      }
      case "Squeeze": {
        const x = v(0);
        const dims = ints(a, "squeeze_dims");
        if (!dims.length) throw new Error(`${what}: Squeeze ${name} without squeeze_dims is not supported`);
        out = { name: e.g.op("Squeeze", [x.name, e.g.const(dims.map((d) => (x.nchw ? NCHW_AXIS[d] : d)), "int64")]), nchw: false };
        break;
      }
      case "Reshape": {
        const shape = Array.from(constOf(ins[1], name).data);
        out = { name: e.g.op("Reshape", [e.toNhwc(v(0)), e.g.const(shape, "int64")]), nchw: false };
        if (shape.length === 4) out = { name: e.g.op("Transpose", [out.name], { perm: [0, 3, 1, 2] }), nchw: true };
        break;
      }
      case "ConcatV2": {
        const parts = ins.slice(0, -1).map((i) => convert(i));
        const axis = constOf(ins.at(-1)!, name).data[0];
        const nchw = parts[0].nchw;
        if (parts.some((p) => p.nchw !== nchw)) throw new Error(`${what}: ConcatV2 ${name} mixes 4-D and other tensors`);
        const ax = axis < 0 ? axis + (nchw ? 4 : 2) : axis;
        out = { name: e.g.op("Concat", parts.map((p) => p.name), { axis: nchw ? NCHW_AXIS[ax] : ax }), nchw };
        break;
      }
      case "Pad": {
        const x = v(0);
        const p = constOf(ins[1], name).data; // [rank, 2] in NHWC order
        const rank = p.length / 2;
        const order = x.nchw ? [0, 3, 1, 2] : Array.from({ length: rank }, (_, i) => i);
        const pads = [...order.map((d) => p[2 * d]), ...order.map((d) => p[2 * d + 1])];
        out = { name: e.g.op("Pad", [x.name, e.g.const(pads, "int64")], { mode: "constant" }), nchw: x.nchw };
        break;
      }
      case "MatMul":
      case "_FusedMatMul": {
        if (a?.transpose_a?.b) throw new Error(`${what}: ${n.op} ${name} with transpose_a is not supported`);
        const extra = fused.filter((f) => !["BiasAdd", "Relu", "Relu6"].includes(f));
        if (extra.length) throw new Error(`${what}: ${n.op} ${name} fuses ${extra.join(", ")}, which the ONNX converter does not support`);
        const bias = fused.includes("BiasAdd") ? constOf(ins[2], name) : undefined;
        out = e.matmul(v(0), constOf(ins[1], name), bias, !!a?.transpose_b?.b, fused.includes("Relu6") ? "relu6" : fused.includes("Relu") ? "relu" : "linear", name);
        break;
      }
      case "Softmax": {
        const x = v(0);
        if (x.nchw) throw new Error(`${what}: Softmax ${name} on a 4-D tensor is not supported`);
        out = { name: e.g.op("Softmax", [x.name], { axis: -1 }), nchw: false };
        break;
      }
      default:
        throw new Error(`${what}: op ${n.op} (node ${name}) is not supported by the ONNX converter`);
    }
    values.set(name, out);
    return out;
  };
  return e.finish(convert(target.name), "features");
}

// ---------------------------------------------------------------- layers models

interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, unknown][][];
}

/**
 * Convert a Keras (TF.js layers) model up to the layer named `outputLayer`.
 * The ONNX model has input `input` (NHWC float32) and output `features`.
 */
export function layersModelToOnnx(artifacts: tf.io.ModelArtifacts, outputLayer: string, what = "layers model"): Uint8Array {
  const topo = artifacts.modelTopology as { model_config?: { config: { layers: KerasLayer[] } }; config?: { layers: KerasLayer[] } };
  const layers = (topo.model_config?.config ?? topo.config)?.layers;
  if (!layers) throw new Error(`${what}: not a Keras functional model (no config.layers)`);
  const byName = new Map(layers.map((l) => [l.name, l]));
  if (!byName.has(outputLayer)) throw new Error(`${what}: no layer named ${outputLayer}`);
  const weights = decodeWeights(artifacts);
  const w = (layer: string, k: string): Weight => {
    const x = weights.get(`${layer}/${k}`);
    if (!x) throw new Error(`${what}: layer ${layer} has no weight ${k}`);
    return x;
  };
  const e = new Emitter(what);
  const values = new Map<string, Value>();
  const pair = (x: unknown): number[] => (Array.isArray(x) ? x.map(Number) : [Number(x), Number(x)]);
  const act = (l: KerasLayer, a: unknown): Activation => {
    const s = String(a ?? "linear");
    if (s === "linear" || s === "relu" || s === "relu6") return s;
    throw new Error(`${what}: activation "${s}" of layer ${l.name} is not supported by the ONNX converter`);
  };

  const convert = (name: string): Value => {
    const known = values.get(name);
    if (known) return known;
    const l = byName.get(name);
    if (!l) throw new Error(`${what}: layer ${name} is referenced but not defined`);
    if (l.inbound_nodes.length > 1) throw new Error(`${what}: layer ${name} is shared (called ${l.inbound_nodes.length} times); not supported`);
    const ins = (l.inbound_nodes[0] ?? []).map((r) => r[0]);
    const c = l.config;
    const v = (i: number) => convert(ins[i]);
    if (c.data_format && c.data_format !== "channels_last") throw new Error(`${what}: layer ${name}: only channels_last is supported`);
    let out: Value;
    switch (l.class_name) {
      case "InputLayer": {
        const shape = c.batch_input_shape as (number | null)[];
        if (shape?.length !== 4) throw new Error(`${what}: input ${name} is not a 4-D image tensor`);
        out = e.input("input", shape);
        break;
      }
      case "Conv2D":
      case "DepthwiseConv2D": {
        const depthwise = l.class_name === "DepthwiseConv2D";
        const kernel = w(name, depthwise ? "depthwise_kernel" : "kernel");
        out = e.conv(v(0), kernel, c.use_bias ? w(name, "bias") : undefined, {
          depthwise,
          strides: pair(c.strides ?? 1),
          dilations: pair(c.dilation_rate ?? 1),
          padding: String(c.padding),
          act: act(l, c.activation),
          where: name,
        });
        break;
      }
      case "BatchNormalization": {
        const axis = Number(c.axis);
        if (axis !== 3 && axis !== -1) throw new Error(`${what}: BatchNormalization ${name} on axis ${axis} is not supported`);
        out = e.batchNorm(v(0), {
          scale: c.scale === false ? undefined : w(name, "gamma"),
          offset: c.center === false ? undefined : w(name, "beta"),
          mean: w(name, "moving_mean"),
          variance: w(name, "moving_variance"),
          epsilon: Number(c.epsilon ?? 1e-3),
        }, name);
        break;
      }
      case "Activation":
        out = { name: e.activation(v(0).name, act(l, c.activation), name), nchw: v(0).nchw };
        break;
      case "ReLU": {
        if (c.max_value !== undefined && c.max_value !== null && Number(c.max_value) !== 6) throw new Error(`${what}: ReLU ${name} with max_value ${c.max_value} is not supported`);
        out = { name: e.activation(v(0).name, c.max_value ? "relu6" : "relu", name), nchw: v(0).nchw };
        break;
      }
      case "MaxPooling2D":
      case "AveragePooling2D": {
        const size = pair(c.pool_size ?? 2);
        out = e.pool(v(0), l.class_name === "MaxPooling2D" ? "max" : "avg", size, pair(c.strides ?? size), String(c.padding ?? "valid"), name);
        break;
      }
      case "GlobalAveragePooling2D":
        out = { name: e.g.op("ReduceMean", [v(0).name], { axes: [2, 3], keepdims: 0 }), nchw: false };
        break;
      case "Concatenate": {
        const parts = ins.map((i) => convert(i));
        const nchw = parts[0].nchw;
        const axis = Number(c.axis ?? -1);
        const ax = axis < 0 ? axis + (nchw ? 4 : 2) : axis;
        out = { name: e.g.op("Concat", parts.map((p) => p.name), { axis: nchw ? NCHW_AXIS[ax] : ax }), nchw };
        break;
      }
      case "Add": {
        const parts = ins.map((i) => convert(i));
        out = { name: parts.slice(1).reduce((acc, p) => e.g.op("Add", [acc, p.name]), parts[0].name), nchw: parts[0].nchw };
        break;
      }
      case "Flatten":
        out = { name: e.g.op("Flatten", [e.toNhwc(v(0))], { axis: 1 }), nchw: false };
        break;
      case "Dense":
        out = e.matmul(v(0), w(name, "kernel"), c.use_bias ? w(name, "bias") : undefined, false, act(l, c.activation), name);
        break;
      case "Dropout":
        out = v(0);
        break;
      default:
        throw new Error(`${what}: layer ${l.class_name} (${name}) is not supported by the ONNX converter`);
    }
    values.set(name, out);
    return out;
  };
  return e.finish(convert(outputLayer), "features");
}
