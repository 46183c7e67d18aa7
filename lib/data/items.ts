/**
 * The items table: one row per image (or text) of a dataset, the common shape every source is turned
 * into. Stored as parquet with nodejs-polars.
 *
 * Columns: `item_id` (unique, stable), `image_path` (a file, or `archive.tar::member`), `class_id`,
 * `class_name`, `caption` (null where none), `group` (a coarser label: emoji subcategory, clip-art topic),
 * `split` (`train` / `test` / `seen` / `unseen` / `all`), `source`.
 *
 * @example
 * ```ts
 * import { loadEmoji } from "./emoji.ts";
 * const ds = await loadEmoji();                 // Dataset
 * const df = itemsFrame(ds.items);              // polars DataFrame
 * await writeItems(ds, "/tmp/emoji.parquet");
 * ```
 */
import pl from "nodejs-polars";
import { dirname } from "node:path";

/** One row of the items table. */
export interface Item {
  item_id: string;
  image_path: string | null;
  class_id: number;
  class_name: string;
  caption: string | null;
  group: string | null;
  split: string;
  source: string;
}

/** A dataset: its items, class names (index = class_id) and identity. */
export interface Dataset {
  /** Short name (`emoji-google`, `openclipart`, ...). */
  name: string;
  /** Where it came from and which version: part of every cache key built on it. */
  version: string;
  items: Item[];
  /** Class names by class_id. */
  classes: string[];
  /** Extra per-class texts (descriptions, translations), by kind then class name. */
  classTexts?: Record<string, Record<string, string[]>>;
}

/** Items as a polars DataFrame (the column order documented above). */
export function itemsFrame(items: Item[]): pl.DataFrame {
  return pl.DataFrame({
    item_id: items.map((i) => i.item_id),
    image_path: items.map((i) => i.image_path),
    class_id: pl.Series("class_id", items.map((i) => i.class_id), pl.Int32),
    class_name: items.map((i) => i.class_name),
    caption: pl.Series("caption", items.map((i) => i.caption), pl.Utf8),
    group: pl.Series("group", items.map((i) => i.group), pl.Utf8),
    split: items.map((i) => i.split),
    source: items.map((i) => i.source),
  });
}

/** Items back from a DataFrame (for example one read from parquet). */
export function itemsFromFrame(df: pl.DataFrame): Item[] {
  for (const c of ["item_id", "image_path", "class_id", "class_name", "caption", "group", "split", "source"]) {
    if (!df.columns.includes(c)) throw new Error(`items table has no column "${c}" (columns: ${df.columns.join(", ")})`);
  }
  return (df.toRecords() as unknown as Item[]).map((r) => ({ ...r, class_id: Number(r.class_id) }));
}

/** Write a dataset's items as parquet (atomic: temporary file, then rename). */
export async function writeItems(ds: Dataset, path: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.tmp`;
  itemsFrame(ds.items).writeParquet(tmp);
  await Deno.rename(tmp, path);
}

/** Read items from parquet; a missing or unreadable file is an error naming it. */
export function readItems(path: string): Item[] {
  try {
    return itemsFromFrame(pl.readParquet(path));
  } catch (err) {
    throw new Error(`cannot read items table ${path}: ${(err as Error).message}`);
  }
}

/** Class names from items, by class_id; checks that ids and names agree. */
export function classNames(items: Item[]): string[] {
  const names: string[] = [];
  for (const it of items) {
    if (names[it.class_id] !== undefined && names[it.class_id] !== it.class_name) {
      throw new Error(`class_id ${it.class_id} is both "${names[it.class_id]}" and "${it.class_name}" (item ${it.item_id})`);
    }
    names[it.class_id] = it.class_name;
  }
  return names;
}

/** Assign class ids 0..n-1 in sorted name order. Pure. */
export function classIndex(names: Iterable<string>): Map<string, number> {
  return new Map([...new Set(names)].sort().map((n, i) => [n, i]));
}
