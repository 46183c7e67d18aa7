/**
 * TF.js layers models (Keras functional models, e.g. nsfwjs's InceptionV3) to ONNX: the model up to one
 * named layer. See `tfjs_to_onnx.ts` for the supported layers and the layout.
 *
 * @example
 * ```ts
 * import { nsfwjsArtifacts } from "../../encoders/vision/tfjs_models.ts";
 * const bytes = layersModelToOnnx(await nsfwjsArtifacts("inception-v3"), "flatten_1");
 * ```
 */
import type * as tf from "@tensorflow/tfjs";
import { type Activation, decodeWeights, Emitter, NCHW_AXIS, type Value, type Weight } from "./tfjs_onnx_emit.ts";

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
