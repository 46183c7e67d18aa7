/**
 * What a probing run costs around its training steps: notebook 01's split 0 (the embedded probing
 * protocol), one run per encoder and representation with 2 training steps, so that the time is the
 * run's preparation (pairs, text features) and its evaluation (unseen, seen and held-out-style tasks).
 * Prints one JSON line per run and a hash of the results (times left out), so that two checkouts on
 * the same cache can be checked for identical results. Uses the feature store (`SHARELOCK_CACHE_DIR`),
 * never the results cache.
 *
 *   deno run -A scripts/bench_probing_run.ts
 *   /usr/bin/time -f "%R minor faults, %S s system" deno run -A scripts/bench_probing_run.ts
 */
import { EMBEDDED_PROBING, probingNotebookConfig } from "../lib/config.ts";
import { cacheKey } from "../lib/core/hash.ts";
import { probingContexts } from "../lib/experiments/probing_grid.ts";
import { probingRun, type Representation } from "../lib/experiments/probing.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";

/** The runs timed: encoders of notebooks 01 and 02, templates and descriptions. */
export const RUNS: [string, Representation][] = [
  ["use-lite", "templates"], ["use-lite", "descriptions"], ["word2vec-pca-10", "templates"], ["lit-bag-of-words", "templates"], ["random-text", "templates"],
];

if (import.meta.main) {
  await selectTfBackend();
  const cfg = probingNotebookConfig("embedded");
  const [ctx] = await probingContexts({ ...cfg, datasets: [cfg.datasets[0]], splitSeeds: [0] });
  const results: unknown[] = [];
  for (const [text, representation] of RUNS) {
    const t0 = performance.now();
    const { trainSeconds, ...result } = await probingRun(ctx, { text, representation, seed: 0, train: { ...EMBEDDED_PROBING, maxSteps: 2, progress: false } });
    const ms = performance.now() - t0;
    results.push(result);
    console.log(JSON.stringify({ text, representation, ms: Math.round(ms), train_ms: Math.round(1000 * trainSeconds), around_steps_ms: Math.round(ms - 1000 * trainSeconds) }));
  }
  console.log(JSON.stringify({ results_hash: await cacheKey(results, 16) }));
}
