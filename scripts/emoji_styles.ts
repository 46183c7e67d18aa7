/**
 * `deno run -A scripts/emoji_styles.ts`: the multi-style emoji dataset in numbers: per style its images
 * and classes, the classes common to all styles (one image per style each), what each style lacks, and
 * the art sets checked with their image licences.
 */
import { dataset } from "../lib/data/registry.ts";
import { alignStyles, EMOJI_STYLE_DATASETS } from "../lib/data/emoji_multistyle.ts";
import { EMOJI_ART_SETS } from "../lib/data/emoji_styles.ts";

if (import.meta.main) {
  const datasets = [];
  for (const name of Deno.args.length ? Deno.args : EMOJI_STYLE_DATASETS) datasets.push(await dataset(name));
  const al = alignStyles(datasets);
  console.log("| style | images (= classes) | lacks (of the union) | version |\n| --- | --- | --- | --- |");
  for (const d of datasets) console.log(`| \`${d.name}\` | ${d.items.length} | ${al.missing[d.name].length} | ${d.version} |`);
  console.log(`\ncommon classes: ${al.classes.length}, one image per style: ${datasets.length} images per class, ${al.classes.length * datasets.length} images`);
  for (const d of datasets) if (al.missing[d.name].length) console.log(`${d.name} lacks: ${al.missing[d.name].slice(0, 8).join("; ")}${al.missing[d.name].length > 8 ? "; ..." : ""}`);
  console.log("\n| set | package | image licence | used |\n| --- | --- | --- | --- |");
  for (const s of EMOJI_ART_SETS) console.log(`| ${s.dataset ? `\`${s.dataset}\`` : "-"} | ${s.package} | ${s.imageLicence} | ${s.used ? "yes" : `no: ${s.note}`} |`);
}
