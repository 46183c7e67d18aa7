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
 * import { nsfwjsArtifacts } from "../../encoders/vision/tfjs_models.ts";
 * const artifacts = await nsfwjsArtifacts("mobilenet-v2");
 * const bytes = graphModelToOnnx(artifacts, (n) => n.endsWith("feature_vector/SpatialSqueeze"));
 * await Deno.writeFile("mobilenet.onnx", bytes);
 * ```
 */
export { CONVERTER_VERSION, decodeWeights, depthwiseToOihw, hwioToOihw, transpose4 } from "./tfjs_onnx_emit.ts";
export { graphModelToOnnx } from "./tfjs_graph_to_onnx.ts";
export { layersModelToOnnx } from "./tfjs_layers_to_onnx.ts";
