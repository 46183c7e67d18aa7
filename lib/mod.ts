/**
 * sharelock-notebooks: the one module notebooks import. Re-exports only; no logic lives here.
 * The order follows the method's data flow: runtime, data, encoders, feature store, report.
 *
 * @example
 * ```ts
 * import * as sl from "../lib/mod.ts";
 * await sl.selectTfBackend();
 * const ds = await sl.dataset("emoji-google");
 * const img = await sl.imageFeatures(ds.items, await sl.visionEncoder("mobilenet-v2"));
 * const txt = await sl.textFeatures(ds.classes.map((c) => `a drawing of a ${c}.`), await sl.languageEncoder("use-lite"));
 * ```
 * @module
 */
export * from "./config.ts";

export * from "./core/matrix.ts";
export * from "./core/hash.ts";

export * from "./runtime/paths.ts";
export { checkEnvironment, ENV_VARS, EnvError, readSetting, type Settings, validateEnv } from "./runtime/env.ts";
export * from "./runtime/atomic.ts";
export * from "./runtime/jupyter.ts";
export * from "./runtime/progress.ts";
export * from "./runtime/random.ts";
export * from "./runtime/tf_backend.ts";
export * from "./runtime/onnx_device.ts";
export * from "./runtime/vulkan.ts";

export * from "./data/assets.ts";
export * from "./data/items.ts";
export * from "./data/image_ref.ts";
export * from "./data/registry.ts";
export * from "./data/emoji.ts";
export * from "./data/openclipart.ts";
export * from "./data/tuxpaint.ts";
export * from "./data/fashion_mnist.ts";
export * from "./data/wordnet.ts";
export * from "./data/gcide.ts";
export * from "./data/paper_datasets.ts";
export * from "./data/tar.ts";
export * from "./data/templates.ts";
export * from "./data/class_texts.ts";
export * from "./data/splits.ts";

export * from "./encoders/types.ts";
export * from "./images/image_io.ts";
export * from "./encoders/registry.ts";
export * from "./encoders/vision/tfjs_models.ts";
export * from "./encoders/hf/hf.ts";
export * from "./encoders/hf/hf_layout.ts";
export * from "./encoders/hf/doctor.ts";
export * from "./encoders/text/word_vectors.ts";
export * from "./encoders/text/skipgram.ts";
export * from "./encoders/text/skipgram_ladder.ts";
export * from "./encoders/text/random_text.ts";
export * from "./encoders/text/use_tokenizer.ts";
export { convertedVisionModel, onnxVisionEncoder, onnxVisionIdentity, onnxVisionModel, type OnnxVisionOptions, type VisionEngine, visionEngineFromEnv } from "./encoders/vision/onnx_vision.ts";
export { CONVERTER_VERSION, graphModelToOnnx, layersModelToOnnx } from "./onnx/convert/tfjs_to_onnx.ts";
export * from "./images/image_batches.ts";

export * from "./store/feature_store.ts";
export * from "./store/shard.ts";
export * from "./store/extract.ts";
export * from "./store/rows.ts";
export * from "./features.ts";

export * from "./onnx/proto.ts";
export * from "./onnx/reader.ts";
export * from "./onnx/hidden_state.ts";

export * from "./report/display.ts";
export * from "./report/summary.ts";

export * from "./train/ops.ts";
export * from "./train/losses.ts";
export * from "./train/optim.ts";
export * from "./train/projection.ts";
export * from "./train/trainer.ts";
export * from "./train/batched.ts";
export * from "./train/checkpoint.ts";
export * from "./train/project_on_device.ts";

export * from "./eval/similarity.ts";
export * from "./eval/metrics.ts";
export * from "./eval/zeroshot.ts";
export * from "./eval/retrieval.ts";
export * from "./eval/classifier.ts";
export * from "./eval/evaluate.ts";
export * from "./eval/methods.ts";
export * from "./eval/chunked.ts";
export * from "./eval/leakage.ts";

export * from "./baselines/asif.ts";
export * from "./baselines/linear_probe.ts";

export * from "./stats/correlation.ts";
export * from "./stats/alignment.ts";
export * from "./stats/paired.ts";
export * from "./stats/intervals.ts";
export * from "./stats/aggregate.ts";
export * from "./stats/compare_runs.ts";

export * from "./experiments/probing.ts";
export * from "./experiments/preflight.ts";
export * from "./data/multilingual.ts";
export * from "./baselines/lit.ts";
export * from "./report/results.ts";
export * from "./report/format.ts";
export * from "./experiments/findings.ts";
export * from "./data/llm_descriptions.ts";
export * from "./runtime/memo.ts";
export * from "./runtime/code_identity.ts";
export * from "./report/cache_report.ts";
export * from "./experiments/language_tasks.ts";
export * from "./experiments/class_alignment.ts";
export * from "./experiments/encoder_score.ts";
export * from "./experiments/leaderboard.ts";
export * from "./experiments/captions.ts";
export * from "./experiments/caption_leakage.ts";
export * from "./experiments/probing_leakage.ts";
export * from "./experiments/multilingual.ts";
export * from "./experiments/compositional.ts";
export * from "./experiments/caption_preflight.ts";
export * from "./experiments/retrieval_pool.ts";
export * from "./demo/site.ts";
export * from "./demo/serve.ts";
export * from "./experiments/caption_setup.ts";
export * from "./experiments/caption_runs.ts";
export * from "./data/emoji_multistyle.ts";
