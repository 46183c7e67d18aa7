/**
 * Seen / unseen class splits for strict zero-shot evaluation: disjoint by class (optionally by group, so
 * that whole emoji subcategories are unseen), seeded, and checked.
 *
 * @example
 * ```ts
 * import type { Dataset } from "./items.ts";
 * declare const ds: Dataset;
 * const split = splitClasses(ds.classes, { unseenFraction: 0.25, seed: 0 });
 * const seenItems = ds.items.filter((it) => split.seen.has(it.class_name));
 * assertDisjoint(split);
 * ```
 */
import { type Rng, seededRandom, shuffle } from "../runtime/random.ts";
import type { Item } from "./items.ts";

/** A class split. */
export interface ClassSplit {
  seen: Set<string>;
  unseen: Set<string>;
  seed: number;
  /** When splitting by group: which groups are unseen. */
  unseenGroups?: string[];
}

/** Options of {@link splitClasses}. */
export interface SplitOptions {
  /** Fraction of classes (or groups) that are unseen (default 0.25). */
  unseenFraction?: number;
  seed?: number;
  /** Split whole groups instead of classes: class name -> group. */
  groupOf?: (className: string) => string;
}

/** Split class names into disjoint seen and unseen sets. Same seed, same split. Pure. */
export function splitClasses(classes: readonly string[], opts: SplitOptions = {}): ClassSplit {
  const frac = opts.unseenFraction ?? 0.25, seed = opts.seed ?? 0;
  if (!(frac > 0 && frac < 1)) throw new Error(`unseenFraction must be in (0, 1), got ${frac}`);
  const unique = [...new Set(classes)].sort();
  if (unique.length < 2) throw new Error(`need at least 2 classes to split, got ${unique.length}`);
  const rng: Rng = seededRandom(seed * 2654435761 + 17);
  if (opts.groupOf) {
    const groups = [...new Set(unique.map(opts.groupOf))].sort();
    if (groups.length < 2) throw new Error(`need at least 2 groups to split by group, got ${groups.length}`);
    const nUnseen = Math.min(groups.length - 1, Math.max(1, Math.round(groups.length * frac)));
    const unseenGroups = new Set(shuffle(groups, rng).slice(0, nUnseen));
    const unseen = new Set(unique.filter((c) => unseenGroups.has(opts.groupOf!(c))));
    return { seen: new Set(unique.filter((c) => !unseen.has(c))), unseen, seed, unseenGroups: [...unseenGroups].sort() };
  }
  const nUnseen = Math.min(unique.length - 1, Math.max(1, Math.round(unique.length * frac)));
  const unseen = new Set(shuffle(unique, rng).slice(0, nUnseen));
  return { seen: new Set(unique.filter((c) => !unseen.has(c))), unseen, seed };
}

/** Throw when a split is not strictly disjoint or leaves a side empty. */
export function assertDisjoint(split: ClassSplit): void {
  const both = [...split.seen].filter((c) => split.unseen.has(c));
  if (both.length) throw new Error(`seen and unseen classes overlap: ${both.slice(0, 5).join(", ")}`);
  if (!split.seen.size || !split.unseen.size) throw new Error("a split side is empty");
}

/** Label items `seen` / `unseen` by their class (a copy; other fields unchanged). */
export function applySplit(items: Item[], split: ClassSplit): Item[] {
  assertDisjoint(split);
  return items.map((it) => ({ ...it, split: split.unseen.has(it.class_name) ? "unseen" : "seen" }));
}

/** A split as JSON (to store beside the data) and back. */
export function splitToJson(split: ClassSplit): string {
  return JSON.stringify({ seed: split.seed, seen: [...split.seen].sort(), unseen: [...split.unseen].sort(), unseenGroups: split.unseenGroups }, null, 1);
}

/** Parse a stored split; checks it is disjoint. */
export function splitFromJson(text: string): ClassSplit {
  const o = JSON.parse(text);
  const split = { seed: o.seed, seen: new Set<string>(o.seen), unseen: new Set<string>(o.unseen), unseenGroups: o.unseenGroups };
  assertDisjoint(split);
  return split;
}
