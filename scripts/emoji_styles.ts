/**
 * `deno run -A scripts/emoji_styles.ts`: the multi-style emoji dataset in numbers: per style its images
 * and classes, the classes common to all styles (one image per style each), what each style lacks, and
 * the art sets checked with their image licences. With `--features`: how far apart the styles are for
 * MobileNetV2: for each pair, the share of one style's images whose nearest image (cosine) in the other
 * style is the same emoji (recall@1 over the common classes; extracts missing features first).
 *
 *   deno run -A scripts/emoji_styles.ts [--features] [dataset ...]
 */
import { dataset } from "../lib/data/registry.ts";
import { alignStyles, EMOJI_STYLE_DATASETS } from "../lib/data/emoji_multistyle.ts";
import { EMOJI_ART_SETS } from "../lib/data/emoji_styles.ts";
import { visionEncoder } from "../lib/encoders/registry.ts";
import { imageFeatures } from "../lib/features.ts";
import { retrievalRecall } from "../lib/eval/retrieval.ts";
import { selectTfBackend } from "../lib/runtime/tf_backend.ts";
import type { Matrix } from "../lib/store/feature_store.ts";

if (import.meta.main) {
  const datasets = [];
  const names = Deno.args.filter((a) => a !== "--features");
  for (const name of names.length ? names : EMOJI_STYLE_DATASETS) datasets.push(await dataset(name));
  const al = alignStyles(datasets);
  console.log("| style | images (= classes) | lacks (of the union) | version |\n| --- | --- | --- | --- |");
  for (const d of datasets) console.log(`| \`${d.name}\` | ${d.items.length} | ${al.missing[d.name].length} | ${d.version} |`);
  console.log(`\ncommon classes: ${al.classes.length}, one image per style: ${datasets.length} images per class, ${al.classes.length * datasets.length} images`);
  for (const d of datasets) if (al.missing[d.name].length) console.log(`${d.name} lacks: ${al.missing[d.name].slice(0, 8).join("; ")}${al.missing[d.name].length > 8 ? "; ..." : ""}`);
  console.log("\n| set | package | image licence | used |\n| --- | --- | --- | --- |");
  for (const s of EMOJI_ART_SETS) console.log(`| ${s.dataset ? `\`${s.dataset}\`` : "-"} | ${s.package} | ${s.imageLicence} | ${s.used ? "yes" : `no: ${s.note}`} |`);
  if (Deno.args.includes("--features")) {
    await selectTfBackend();
    const enc = await visionEncoder("mobilenet-v2");
    const feats: Matrix[] = [];
    for (const d of datasets) {
      const f = await imageFeatures(al.styles[d.name], enc);
      if (f.skipped.length) throw new Error(`${d.name}: ${f.skipped.length} images not embedded, e.g. ${f.skipped[0].item.image_path}: ${f.skipped[0].reason}`);
      feats.push(f.matrix);
    }
    enc.dispose();
    const n = al.classes.length, same = Array.from({ length: n }, (_, i) => i);
    console.log(`\nMobileNetV2, recall@1 of the same emoji among ${n} (chance ${(100 / n).toFixed(2)}%): row = query style, column = gallery style`);
    console.log(`| query \\ gallery | ${datasets.map((d) => d.name).join(" | ")} |\n| --- |${" --- |".repeat(datasets.length)}`);
    for (let a = 0; a < datasets.length; a++) {
      const cells = datasets.map((_, b) => a === b ? "-" : (100 * retrievalRecall(feats[b], feats[a], same, [1]).textToImage[1]).toFixed(1));
      console.log(`| ${datasets[a].name} | ${cells.join(" | ")} |`);
    }
  }
}
