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

// Data: datasets by name, the languages of the multilingual test.
export { dataset } from "./data/registry.ts";
export { type Language } from "./data/multilingual.ts";

// Encoders: frozen vision and language encoders by name.
export { encoderLanguages, languageEncoder, visionEncoder } from "./encoders/registry.ts";

// Features: datasets and texts to matrices through the feature store.
export { imageFeatures, textFeatures } from "./features.ts";

// Training: the trainer's configuration.
export { type TrainConfig } from "./train/trainer.ts";

// Baselines: the LiT-style bag-of-words tower and the methods' labels.
export { LIT_BAG_OF_WORDS, methodLabel } from "./baselines/lit.ts";

// Statistics: rows as a table, means and intervals over runs.
export { runsFrame } from "./stats/aggregate.ts";
export { summarize } from "./stats/compare_runs.ts";

// Reports: displays, formatting, results files, summary figures, the cache line.
export { configTable, imageGrid, markdown, plot, show, table } from "./report/display.ts";
export { classesPerSplit, displayPath, pct, pctValue } from "./report/format.ts";
export { paperTable, writeResults } from "./report/results.ts";
export { recordFigures } from "./report/summary.ts";
export { cacheLedger, cacheReport } from "./report/cache_report.ts";

// Experiments: strict zero-shot probing (notebook 01) and the scored language encoders (02, 08).
export { cachedProbingRun } from "./experiments/probing.ts";
export { asifRows, gridLeakageRows, probingContexts, probingGrid, representationRows, splitRows, unseenExamples } from "./experiments/probing_grid.ts";
export { ladderComparisons, ladderStrata, leakageFinding, leakageSplitRows, probingFigures, probingFinding, probingSummary, probingTests } from "./experiments/probing_report.ts";
export { describeRanking, rankEncoders } from "./experiments/leaderboard.ts";
export { alignmentLines, allScored, capabilityCorrelations, capabilityFigures, capabilityFinding, capabilityRows, correlationLine, paperCorrelation, regressionLine, runsLabel, scoreEncoderList, skipGramLadder } from "./experiments/capability_report.ts";
export { boardCorrelations, boardTable, figureOnePoints, leaderboardFigures, leaderboardFinding, leaderboardRows } from "./experiments/leaderboard_report.ts";
// Experiments: caption notebooks (03-07): set-up, runs, models, leakage strata.
export { captionNotebookSetup } from "./experiments/caption_setup.ts";
export { type CaptionRun, captionRuns } from "./experiments/caption_runs.ts";
export { datasetTask } from "./experiments/caption_corpus.ts";
export { captionModel } from "./experiments/caption_model.ts";
export { retrieveImages } from "./experiments/caption_eval.ts";
export { stratumComparisons, stratumSizes } from "./experiments/caption_leakage.ts";
export { imageLabel, retrievalPool } from "./experiments/retrieval_pool.ts";
// Experiments: caption grids (variants x runs, trained together, evaluated as data) and each notebook's report.
export { captionGrid } from "./experiments/caption_grid.ts";
export { allOf, byStratum, multilingual, multilingualTests, oneWordGroupScore, splitEvaluations, trainingLoss } from "./experiments/caption_evaluations.ts";
export { ablationFigures, ablationFinding, ablationStrata, ablationStrataFinding, ablationVariants, defaultVariant, type VariantResult, variantResults, variantTable } from "./experiments/ablations.ts";
export { probeVisionEncoders, visionProbeFinding, visionProbeTable } from "./experiments/vision_probe.ts";
export { rankEncodersOn, rankingColumns, rankingFigures, rankingFinding, sentences } from "./experiments/caption_ranking.ts";
export { languageSummary, languageTable, multilingualComparisons, multilingualFigures, multilingualFinding, multilingualTestTable } from "./experiments/multilingual_report.ts";
export { asifGroupRows, groupEvaluation, groupKindRows, groupKinds, groupTests, groupTiles, winogroundOnDisk } from "./experiments/group_scores.ts";
export { kindTable, scoreComparisons, scoreFigures, scoreFinding, scoreStrata, scoreSummary, scoreTable } from "./experiments/compositional_report.ts";
export { asifTaskRows, scalingGrid, sharelockMethods, strataOn } from "./experiments/sharelock_grid.ts";
export { chanceByTask, leakComparisons, leakedImagePct, leakageTaskRows, leakTop1Rows, methodComparisons, retrievalRows, scalingGaps, scalingRows, sharelockFigures, sharelockFinding, sourceRows, strataFinding, strictCorpusRows, styleShiftRows, taskRows, top1Rows, top1Summary, trainingTiles } from "./experiments/sharelock_report.ts";
// Experiments: findings written from a run's numbers.
export { comparisonFigures, comparisonTable, finding, pairedFigure } from "./experiments/findings.ts";

// Runtime and configuration: settings, paths, devices, backends, progress, seeded random, notebook configs.
export { checkEnvironment } from "./runtime/env.ts";
export { projectPaths } from "./runtime/paths.ts";
export { probeDevices, resolveDevice } from "./runtime/onnx_device.ts";
export { selectTfBackend } from "./runtime/tf_backend.ts";
export { progress } from "./runtime/progress.ts";
export { seededRandom, shuffle } from "./runtime/random.ts";
export { type CaptionNotebookConfig, captionNotebookConfig, type ProbingNotebookConfig, probingNotebookConfig } from "./config.ts";
