/**
 * The probing notebooks' preflight: before any work, check that every dataset and encoder of a
 * configuration can be loaded, and say what is missing (Hugging Face models through the model doctor,
 * whose reasons come with their fixes).
 *
 * @example
 * ```ts
 * const problems = await preflight({ datasets: ["emoji-google"], vision: "mobilenet-v2", language: ["use-lite"] });
 * if (problems.length) throw new Error(problems.join("\n"));
 * ```
 */
import { dataset as loadDataset } from "../data/registry.ts";
import { languageEncoder, visionEncoder } from "../encoders/registry.ts";
import { inspectModel } from "../encoders/hf/doctor.ts";
import { isFromScratchTower } from "../baselines/lit.ts";

/**
 * Check before any work that every dataset and encoder of a configuration can be loaded; returns one
 * line per problem (empty when all is there), so that a paper-scale run fails early and says what is
 * missing.
 */
export async function preflight(cfg: {
  datasets: string[];
  vision: string;
  language: string[];
  /** Multi-style contexts: the style datasets are checked instead of `datasets` (which only name them). */
  styles?: { trainStyles: readonly string[]; heldOutStyle: string } | null;
}): Promise<string[]> {
  const problems: string[] = [];
  for (const name of cfg.styles ? [...cfg.styles.trainStyles, cfg.styles.heldOutStyle] : cfg.datasets) {
    try {
      const ds = await loadDataset(name);
      if (!ds.items.length) problems.push(`dataset ${name}: no items`);
    } catch (err) {
      problems.push(`dataset ${name}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  // Hugging Face models first go through the model doctor: its reasons come with their fixes
  const doctor = async (what: string, name: string) => {
    if (!name.startsWith("hf:")) return true;
    const r = await inspectModel(name.slice(3).replace(/:(last-token|mean|cls)$/, ""), { run: false });
    for (const p of r.problems) problems.push(`${what} ${name}: ${p.reason} (fix: ${p.fix})`);
    return !r.problems.length;
  };
  try {
    if (await doctor("vision encoder", cfg.vision)) (await visionEncoder(cfg.vision)).dispose();
  } catch (err) {
    problems.push(`vision encoder ${cfg.vision}: ${(err as Error).message.split("\n").slice(0, 2).join(" ")}`);
  }
  for (const name of cfg.language.filter((n) => !isFromScratchTower(n))) {
    if (!(await doctor("language encoder", name))) continue;
    try {
      (await languageEncoder(name)).dispose();
    } catch (err) {
      problems.push(`language encoder ${name}: ${(err as Error).message.split("\n").slice(0, 2).join(" ")}`);
    }
  }
  return problems;
}
