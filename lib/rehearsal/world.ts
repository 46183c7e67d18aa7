/**
 * The rehearsal world: one folder holding a model mirror (`models/`, for `SHARELOCK_MODELS_DIR`),
 * paper-format data (`data/`, for `SHARELOCK_DATA_DIR`), its own cache (`cache/`: features, trained
 * runs and edited model copies of the stand-ins, kept apart from those of real models, which have the
 * same names; the embedded assets and datasets are shared with the main cache through links) and its
 * reports (`outputs/`). `world.json` records what was built; a folder without it is not a world.
 *
 * @example
 * ```ts
 * const world = await buildRehearsalWorld("/tmp/rehearsal");
 * const env = rehearsalEnv(world);   // SHARELOCK_SCALE=paper, SHARELOCK_REHEARSAL=1, the folders
 * ```
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { projectPaths } from "../runtime/paths.ts";
import { writeJsonAtomic } from "../runtime/atomic.ts";
import { paperModelIds, writeModelMirror } from "./models.ts";
import { writePaperData, type WrittenDataset } from "./data.ts";

/** Bumped when the world's contents change, so that an older world is rebuilt. */
export const WORLD_VERSION = 2;

/** Entries of the main cache the rehearsal cache links to: downloads and embedded data, nothing model-specific. */
export const SHARED_CACHE_ENTRIES = ["assets", "datasets", "models", "ladder", "llm-descriptions", "jupyter"];

/** A built world: its folders and what it holds. */
export interface RehearsalWorld {
  dir: string;
  models: string;
  data: string;
  cache: string;
  outputs: string;
  modelIds: string[];
  datasets: WrittenDataset[];
  seconds: number;
}

/** The world recorded in `<dir>/world.json`, or null when there is none of this version. */
export async function readWorld(dir: string): Promise<RehearsalWorld | null> {
  try {
    const w = JSON.parse(await Deno.readTextFile(join(dir, "world.json"))) as RehearsalWorld & { version: number };
    return w.version === WORLD_VERSION ? w : null;
  } catch {
    return null;
  }
}

/**
 * Build the world in `dir` from scratch (what was there is removed): the model stand-ins the paper
 * configurations name, the paper-format data, the cache links to `mainCache` (default: the project's
 * cache). No download beyond the embedded datasets the project fetches anyway.
 */
export async function buildRehearsalWorld(dir: string, mainCache = projectPaths().cache): Promise<RehearsalWorld> {
  const t0 = performance.now();
  dir = resolve(dir);
  if (resolve(mainCache).startsWith(dir + "/") || resolve(mainCache) === dir) throw new Error(`rehearsal folder ${dir} holds the main cache ${mainCache}: choose another --dir`);
  await Deno.remove(dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  const world = { dir, models: join(dir, "models"), data: join(dir, "data"), cache: join(dir, "cache"), outputs: join(dir, "outputs") };
  await Deno.mkdir(world.cache, { recursive: true });
  for (const entry of SHARED_CACHE_ENTRIES) {
    const target = join(resolve(mainCache), entry);
    await Deno.mkdir(target, { recursive: true });
    await Deno.symlink(target, join(world.cache, entry));
  }
  const modelIds = paperModelIds();
  await writeModelMirror(world.models, modelIds);
  const datasets = await writePaperData(world.data);
  const built: RehearsalWorld = { ...world, modelIds, datasets, seconds: +((performance.now() - t0) / 1000).toFixed(1) };
  await writeJsonAtomic(join(dir, "world.json"), { version: WORLD_VERSION, ...built });
  return built;
}

/** The world, built when `dir` holds none (or one of another version). */
export async function ensureRehearsalWorld(dir: string, mainCache?: string): Promise<RehearsalWorld> {
  return (existsSync(dir) && await readWorld(dir)) || await buildRehearsalWorld(dir, mainCache);
}

/** The environment that points the project at a world: paper scale, the rehearsal's sizes, its folders, no hub. */
export function rehearsalEnv(world: RehearsalWorld): Record<string, string> {
  return {
    SHARELOCK_SCALE: "paper",
    SHARELOCK_REHEARSAL: "1",
    SHARELOCK_MODELS_DIR: world.models,
    SHARELOCK_DATA_DIR: world.data,
    SHARELOCK_CACHE_DIR: world.cache,
    SHARELOCK_OUTPUTS_DIR: world.outputs,
    HF_HUB_OFFLINE: "1",
  };
}
