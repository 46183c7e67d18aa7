/**
 * sharelock-notebooks: the one module notebooks import, and the library's face. Named re-exports only; no
 * logic lives here. It holds exactly what the notebooks (and the documentation's snippets) use, grouped by
 * the paper's stages: data, encoders, features, training, evaluation, baselines, statistics, reports,
 * experiments, runtime and configuration. Scripts and tests import the modules they need by path.
 * `tests/face_test.ts` keeps the two in step: every `sl.<name>` of a notebook is here, and every name here
 * is used.
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

// Data: datasets, items, the multilingual templates, WordNet.
export { dataset } from "./data/registry.ts";
export { type Item } from "./data/items.ts";
export { type Language, MULTILINGUAL_TEMPLATES } from "./data/multilingual.ts";
export { loadWordNet } from "./data/wordnet.ts";

// Encoders: frozen vision and language encoders by name.
export { encoderLanguages, languageEncoder, visionEncoder } from "./encoders/registry.ts";

// Features: datasets and texts to matrices through the feature store; rows of a matrix.
export { imageFeatures, textFeatures } from "./features.ts";
export { selectRows } from "./core/matrix.ts";

// Training: the paper's loss settings and the trainer's configuration.
export { PAPER_LOGIT_SCALE } from "./train/losses.ts";
export { type TrainConfig } from "./train/trainer.ts";

// Evaluation: metrics, Winoground scores, concept leakage.
export { type ClassificationMetrics } from "./eval/metrics.ts";
export { winogroundScores } from "./eval/retrieval.ts";
export { leakageCounts } from "./eval/leakage.ts";

// Baselines: the LiT-style bag-of-words tower and the methods' labels.
export { LIT_BAG_OF_WORDS, methodLabel } from "./baselines/lit.ts";

// Statistics: runs over seeds, paired comparisons, correlation.
export { type GroupSummary, type RunRow, runsFrame } from "./stats/aggregate.ts";
export { compareRuns, compareRunsTo, type RunComparison, selectRuns, summarize, type Where } from "./stats/compare_runs.ts";
export { type CorrelationReport, correlationReport } from "./stats/correlation.ts";

// Reports: displays, formatting, results files, summary figures, the cache line.
export { configTable, type GridTile, imageGrid, markdown, plot, show, table } from "./report/display.ts";
export { classesPerSplit, displayPath, pct, pctValue } from "./report/format.ts";
export { paperTable, writeResults } from "./report/results.ts";
export { type Figure, recordFigures } from "./report/summary.ts";
export { cacheLedger, cacheReport } from "./report/cache_report.ts";

// Experiments: probing (notebooks 01, 02, 07, 08).
export { preflight } from "./experiments/preflight.ts";
export { cachedProbingRun, cachedProbingRuns, probingAsif, type ProbingContext, probingContext } from "./experiments/probing.ts";
export { probingLeakage, probingLeakageRows } from "./experiments/probing_leakage.ts";
export { type EncoderScore, encoderScoreRow, scoreEncoders, scoreLanguageEncoder } from "./experiments/encoder_score.ts";
export { compareEncoderScores, describeRanking, rankEncoders } from "./experiments/leaderboard.ts";
// Experiments: captions (notebooks 03-07).
export { captionNotebookSetup } from "./experiments/caption_setup.ts";
export { type CaptionRun, captionRuns, runLabel } from "./experiments/caption_runs.ts";
export { type CaptionCorpus, datasetTask, promptsFor, subsetPart, type ZeroShotTask } from "./experiments/caption_corpus.ts";
export { captionModel, captionModels } from "./experiments/caption_model.ts";
export { asifSimilarity, asifZeroShot, type CaptionRow, captionSimilarity, evaluateCaptionModel, evaluateCaptionModelByStratum, retrieveImages, zeroShotEval } from "./experiments/caption_eval.ts";
export { combinedStratum, type LeakageRow, leakageRows, leakageTable, type RowBase, stratumComparisons, stratumSizes, taskLeakage } from "./experiments/caption_leakage.ts";
export { imageLabel, retrievalPool } from "./experiments/retrieval_pool.ts";
export { captionRetrievalIn, multilingualEmojiTask, type MultilingualTask, translatedCaptions } from "./experiments/multilingual.ts";
export { layoutGroups, loadWinoground, oneWordGroups } from "./experiments/compositional.ts";
// Experiments: findings written from a run's numbers.
export { comparisonTable, finding, pairedFigure, verdictPhrase, verdictSentence } from "./experiments/findings.ts";

// Runtime and configuration: settings, paths, devices, backends, progress, seeded random, notebook configs.
export { checkEnvironment } from "./runtime/env.ts";
export { projectPaths } from "./runtime/paths.ts";
export { probeDevices, resolveDevice } from "./runtime/onnx_device.ts";
export { selectTfBackend } from "./runtime/tf_backend.ts";
export { progress } from "./runtime/progress.ts";
export { seededRandom, shuffle } from "./runtime/random.ts";
export { type CaptionNotebookConfig, captionNotebookConfig, type ProbingNotebookConfig, probingNotebookConfig } from "./config.ts";
