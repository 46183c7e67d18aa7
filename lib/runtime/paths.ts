/**
 * Where the project keeps its caches and outputs. No module state: every call reads the environment.
 *
 * - `SHARELOCK_CACHE_DIR` (default `<repo>/.cache`): npm-free downloads, extracted Debian packages,
 *   converted models, the feature store. Safe to delete; everything in it is rebuilt.
 * - `SHARELOCK_OUTPUTS_DIR` (default `<repo>/outputs`): reports, results tables, `summary.json`.
 *
 * @example
 * ```ts
 * const { cache, outputs } = projectPaths();
 * console.log(`features live under ${cache}/features`);
 * ```
 */
import { join } from "node:path";
import { type EnvSource, readSetting, REPO_ROOT } from "./env.ts";

export { REPO_ROOT };

/** Folders the project reads and writes. */
export interface ProjectPaths {
  /** Repository root (the folder holding `deno.json`). */
  root: string;
  /** Cache root: downloads, extracted packages, feature store. */
  cache: string;
  /** Outputs root: `reports/`, `results/`, `summary.json`. */
  outputs: string;
  /** Small committed data files (`data/`). */
  data: string;
}

/** Resolve the project folders, honouring `SHARELOCK_CACHE_DIR` and `SHARELOCK_OUTPUTS_DIR`. */
export function projectPaths(env: EnvSource = Deno.env): ProjectPaths {
  return {
    root: REPO_ROOT,
    cache: readSetting("cacheDir", env),
    outputs: readSetting("outputsDir", env),
    data: join(REPO_ROOT, "data"),
  };
}
