/**
 * The multi-style emoji dataset: the same emoji classes drawn by several art sets (Noto, Twemoji,
 * OpenMoji, Fluent Color; Fluent Flat on request), aligned so that a class has ONE image per style and the same
 * `class_id` in every style; and the split the probing and caption protocols use: train on the seen
 * classes in every training style, test on the unseen classes in those styles and, separately, in a
 * style never trained on (the style shift).
 *
 * @example
 * ```ts
 * const al = await emojiMultiStyle();
 * const s = styleShiftSplit(al, { ...DEFAULT_STYLE_SHIFT, seed: 0 });
 * s.train.length;   // seen classes x 3 styles
 * ```
 */
import type { Dataset, Item } from "./items.ts";
import { dataset } from "./registry.ts";
import { type ClassSplit, splitClasses } from "./splits.ts";

/**
 * The emoji styles of the multi-style dataset (registry names). `emoji-fluent-flat` is registered but
 * left out: for MobileNetV2 it is nearly the same picture as `emoji-fluent-color` (recall@1 of the same
 * emoji across the two 85-87%, against 6-31% between other styles; `scripts/emoji_styles.ts --features`).
 */
export const EMOJI_STYLE_DATASETS = ["emoji-google", "emoji-twitter", "emoji-openmoji", "emoji-fluent-color"] as const;

/**
 * The suggested style shift: Twemoji held out (the shift the notebooks already test), trained on Noto,
 * OpenMoji and Fluent Color. Measured (MobileNetV2, linear probe, 8 drawing templates, split by
 * subcategory, seeds 0-1): USE-lite reaches 2.2 / 2.5% on the unseen classes in Twemoji against
 * random-text 0.2 / 0.6% (chance about 0.25%); held-out OpenMoji, the most distant style, left every
 * encoder near chance (0-1.7%, seeds 0-2), so it tells encoders apart less well.
 */
export const DEFAULT_STYLE_SHIFT = { trainStyles: ["emoji-google", "emoji-openmoji", "emoji-fluent-color"], heldOutStyle: "emoji-twitter" } as const;

/** Styles aligned on their common classes. */
export interface StyleAlignment {
  /** Common class names by class_id (sorted): every one has an image in every style. */
  classes: string[];
  /** Each style's items (dataset name -> items), relabelled with the common class ids; other classes dropped. */
  styles: Record<string, Item[]>;
  /** Per style, the classes some other style has but this one lacks (so they were dropped everywhere). */
  missing: Record<string, string[]>;
}

/** The code point of an emoji item (`emoji-<style>/<unified>`). */
function codeOf(it: Item): string {
  return it.item_id.slice(it.item_id.lastIndexOf("/") + 1).toLowerCase();
}

/**
 * Align styles on the classes they all have. A class is matched by its name AND its code point: the
 * same name with different code points in two styles is an error naming both (never a silent
 * misalignment); a style with two images of one class is an error too. Pure.
 */
export function alignStyles(datasets: Dataset[]): StyleAlignment {
  if (datasets.length < 2) throw new Error(`alignStyles needs at least 2 styles, got ${datasets.length}`);
  const names = datasets.map((d) => d.name);
  if (new Set(names).size !== names.length) throw new Error(`alignStyles: a style is listed twice (${names.join(", ")})`);
  const code = new Map<string, { code: string; style: string }>();
  const byStyle = datasets.map((d) => {
    const m = new Map<string, Item>();
    for (const it of d.items) {
      if (m.has(it.class_name)) throw new Error(`${d.name}: class "${it.class_name}" has two images (${m.get(it.class_name)!.item_id}, ${it.item_id})`);
      m.set(it.class_name, it);
      const c = codeOf(it), prev = code.get(it.class_name);
      if (prev && prev.code !== c) {
        throw new Error(`class "${it.class_name}" is code point ${prev.code} in ${prev.style} but ${c} in ${d.name}: styles disagree`);
      }
      if (!prev) code.set(it.class_name, { code: c, style: d.name });
    }
    return m;
  });
  const all = [...code.keys()];
  const classes = all.filter((c) => byStyle.every((m) => m.has(c))).sort();
  const id = new Map(classes.map((c, i) => [c, i]));
  const styles: Record<string, Item[]> = {}, missing: Record<string, string[]> = {};
  datasets.forEach((d, k) => {
    styles[d.name] = classes.map((c) => ({ ...byStyle[k].get(c)!, class_id: id.get(c)! }));
    missing[d.name] = all.filter((c) => !byStyle[k].has(c)).sort();
  });
  return { classes, styles, missing };
}

/** Load the named styles from the registry (built and cached on first use) and align them. */
export async function emojiMultiStyle(names: readonly string[] = EMOJI_STYLE_DATASETS): Promise<StyleAlignment> {
  const datasets: Dataset[] = [];
  for (const n of names) datasets.push(await dataset(n));
  return alignStyles(datasets);
}

/** Options of {@link styleShiftSplit}. */
export interface StyleShiftOptions {
  /** Styles whose seen classes are trained on (and whose unseen classes are the in-style test). */
  trainStyles: readonly string[];
  /** The style never trained on: its unseen classes are the style-shift test. */
  heldOutStyle: string;
  seed?: number;
  /** Fraction of unseen classes (default 0.25, as `splitClasses`). */
  unseenFraction?: number;
  /** Split whole emoji subcategories instead of single classes. */
  byGroup?: boolean;
}

/** The items of one seen/unseen split across styles. */
export interface StyleShiftSplit {
  split: ClassSplit;
  /** Seen classes in every training style (`split` = "seen"). */
  train: Item[];
  /** Unseen classes in the training styles (`split` = "unseen"). */
  test: Item[];
  /** Unseen classes in the held-out style (`split` = "unseen"). */
  styleShift: Item[];
}

/**
 * Split the aligned classes into seen / unseen (seeded, disjoint: `splitClasses`) and lay out the
 * training, in-style test and style-shift test items. The held-out style must not be a training style.
 * Same alignment and seed, same split. Pure.
 */
export function styleShiftSplit(al: StyleAlignment, opts: StyleShiftOptions): StyleShiftSplit {
  const { trainStyles, heldOutStyle } = opts;
  if (!trainStyles.length) throw new Error("styleShiftSplit: no training style");
  for (const s of [...trainStyles, heldOutStyle]) {
    if (!al.styles[s]) throw new Error(`styleShiftSplit: style "${s}" is not in the alignment (${Object.keys(al.styles).join(", ")})`);
  }
  if (trainStyles.includes(heldOutStyle)) throw new Error(`styleShiftSplit: held-out style "${heldOutStyle}" is also a training style`);
  if (new Set(trainStyles).size !== trainStyles.length) throw new Error(`styleShiftSplit: a training style is listed twice (${trainStyles.join(", ")})`);
  const groupOfClass = new Map(al.styles[trainStyles[0]].map((it) => [it.class_name, it.group ?? ""]));
  const split = splitClasses(al.classes, {
    seed: opts.seed ?? 0,
    unseenFraction: opts.unseenFraction,
    groupOf: opts.byGroup ? (c) => groupOfClass.get(c)! : undefined,
  });
  const label = (items: Item[], side: "seen" | "unseen") =>
    items.filter((it) => (side === "seen" ? split.seen : split.unseen).has(it.class_name)).map((it) => ({ ...it, split: side }));
  return {
    split,
    train: trainStyles.flatMap((s) => label(al.styles[s], "seen")),
    test: trainStyles.flatMap((s) => label(al.styles[s], "unseen")),
    styleShift: label(al.styles[heldOutStyle], "unseen"),
  };
}

/** {@link styleShiftSplit} on styles loaded from the registry, with each style's version (for cache keys). */
export interface LoadedStyleShift extends StyleShiftSplit {
  /** The common classes (sorted). */
  classes: string[];
  /** Registry version of each style, training styles first, then the held-out one. */
  versions: Record<string, string>;
}

/** Load the training and held-out styles from the registry, align them and split them. */
export async function loadStyleShift(opts: StyleShiftOptions): Promise<LoadedStyleShift> {
  const datasets: Dataset[] = [];
  for (const n of [...opts.trainStyles, opts.heldOutStyle]) datasets.push(await dataset(n));
  const al = alignStyles(datasets);
  return { ...styleShiftSplit(al, opts), classes: al.classes, versions: Object.fromEntries(datasets.map((d) => [d.name, d.version])) };
}
