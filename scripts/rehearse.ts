/**
 * `deno task rehearse`: the paper-scale path, rehearsed end to end without a download. Builds the
 * rehearsal world when it is missing (stand-ins for every model the paper configurations name, in the
 * hub's layouts, and paper-format datasets made from the embedded ones; `lib/rehearsal/world.ts`), then
 * runs the notebooks at `SHARELOCK_SCALE=paper` with `SHARELOCK_REHEARSAL=1` (sizes shrunk, same code
 * path) through `deno task report`, headless; reports go to `<world>/outputs/reports/`.
 *
 *   deno task rehearse [--dir DIR] [NOTEBOOK...]   build if missing, run 00-08 (or the named ones)
 *   deno task rehearse --build [--dir DIR]         build (or rebuild) the world only
 *   deno task rehearse --env [--dir DIR]           print the environment that points the project at it
 *
 * DIR defaults to `<cache>/rehearsal`. Exit status 1 when the build or any notebook failed.
 */
import { join, resolve } from "node:path";
import { projectPaths } from "../lib/runtime/paths.ts";
import { buildRehearsalWorld, ensureRehearsalWorld, rehearsalEnv, type RehearsalWorld } from "../lib/rehearsal/world.ts";

const ALL_NOTEBOOKS = ["00", "01", "02", "03", "04", "05", "06", "07", "08"];

function parseArgs(args: string[]): { dir: string; build: boolean; env: boolean; notebooks: string[] } {
  let dir = join(projectPaths().cache, "rehearsal"), build = false, env = false;
  const notebooks: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--build") build = true;
    else if (a === "--env") env = true;
    else if (a === "--dir") {
      if (!args[i + 1]) throw new Error("--dir needs a folder");
      dir = resolve(args[++i]);
    } else if (a.startsWith("--")) throw new Error(`unknown option ${a} (use --build, --env, --dir DIR)`);
    else notebooks.push(a);
  }
  return { dir, build, env, notebooks };
}

function describe(w: RehearsalWorld): string {
  return [
    `rehearsal world ${w.dir} (built in ${w.seconds} s)`,
    `  models (SHARELOCK_MODELS_DIR=${w.models}): ${w.modelIds.join(", ")}`,
    `  data (SHARELOCK_DATA_DIR=${w.data}): ${w.datasets.map((d) => `${d.name} ${d.images} images${d.classes > 1 ? ` / ${d.classes} classes` : ""}`).join(", ")}`,
  ].join("\n");
}

async function main(): Promise<number> {
  const opts = parseArgs(Deno.args);
  if (opts.build) {
    console.error(describe(await buildRehearsalWorld(opts.dir)));
    return 0;
  }
  const world = await ensureRehearsalWorld(opts.dir);
  const env = rehearsalEnv(world);
  if (opts.env) {
    for (const [k, v] of Object.entries(env)) console.log(`export ${k}=${v}`);
    return 0;
  }
  console.error(describe(world));
  const report = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(projectPaths().root, "scripts", "reproduce.ts"), ...(opts.notebooks.length ? opts.notebooks : ALL_NOTEBOOKS)],
    cwd: projectPaths().root,
    env,
  });
  return (await report.spawn().status).code;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (err) {
    console.error(`rehearse: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
