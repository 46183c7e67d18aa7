/**
 * Results on disk: each notebook's raw rows in `outputs/results/<notebook>.parquet`, and the paper's
 * published tables from `data/paper/`.
 *
 * @example
 * ```ts
 * import { runsFrame, type RunRow } from "../stats/aggregate.ts";
 * declare const rows: RunRow[];
 * await writeResults("01_zero_shot_probing", runsFrame(rows));
 * const paper = paperTable("encoder_vs_decoder_digitized");
 * ```
 */
import pl from "nodejs-polars";
import { join } from "node:path";
import { projectPaths } from "../runtime/paths.ts";

/** Write a notebook's raw results as parquet (atomic). Returns the path. */
export async function writeResults(notebook: string, df: pl.DataFrame, outputs = projectPaths().outputs): Promise<string> {
  const dir = join(outputs, "results");
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, `${notebook}.parquet`);
  df.writeParquet(`${path}.tmp`);
  await Deno.rename(`${path}.tmp`, path);
  return path;
}

/** A table of the paper's published numbers (`data/paper/<name>.csv`). */
export function paperTable(name: string): pl.DataFrame {
  const path = join(projectPaths().data, "paper", `${name}.csv`);
  try {
    return pl.readCSV(Deno.readTextFileSync(path));
  } catch (err) {
    throw new Error(`paper table ${path}: ${(err as Error).message}`);
  }
}
