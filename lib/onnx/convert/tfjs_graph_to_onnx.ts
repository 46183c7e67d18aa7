/**
 * TF.js graph models (TF SavedModel conversions, e.g. nsfwjs's MobileNetV2) to ONNX: the subgraph that
 * computes one node. See `tfjs_to_onnx.ts` for the supported ops and the layout.
 *
 * @example
 * ```ts
 * import { nsfwjsArtifacts } from "../../encoders/vision/tfjs_models.ts";
 * const artifacts = await nsfwjsArtifacts("mobilenet-v2");
 * const bytes = graphModelToOnnx(artifacts, (n) => n.endsWith("feature_vector/SpatialSqueeze"));
 * ```
 */
import type * as tf from "@tensorflow/tfjs";
import { decodeWeights, Emitter, NCHW_AXIS, type Value, type Weight } from "./tfjs_onnx_emit.ts";

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

