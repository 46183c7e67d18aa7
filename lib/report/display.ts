/**
 * Rich notebook output that also survives the HTML export: polars DataFrames as HTML tables, Observable
 * Plot figures as inline SVG (rendered server-side with linkedom), markdown and HTML snippets.
 * Each function returns an object the Deno kernel displays when it is a cell's last value
 * (`Symbol.for("Jupyter.display")`), or that `show(...)` displays mid-cell. `imageGrid`, which reads
 * images, returns a promise that is itself displayable, so that it shows as a cell's last value with or
 * without `await`. Every display waits for the kernel to publish the cell's queued output first
 * (`settleOutput`), so that nothing of this cell lands under the next one.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import * as Plot from "@observablehq/plot";
 * const df = pl.DataFrame({ encoder: ["use", "random"], top1: [0.31, 0.02] });
 * table(df, { caption: "Zero-shot top-1", digits: 3 });           // last value of a cell
 * await show(plot({ marks: [Plot.barY(df.toRecords(), { x: "encoder", y: "top1" })] }));
 * ```
 */
import * as Plot from "@observablehq/plot";
import sharp from "sharp";
import { Buffer } from "node:buffer";
import { readImageBytes } from "../data/image_ref.ts";
import { parseHTML } from "linkedom";
import type pl from "nodejs-polars";
import { escapeHtml, jupyter, settleOutput } from "../runtime/jupyter.ts";
import { REHEARSAL_NOTE, rehearsalFromEnv } from "../runtime/rehearsal_env.ts";

/** A MIME bundle (`text/html`, `image/svg+xml`, `text/markdown`, `text/plain`, ...). */
export type MimeBundle = Record<string, string>;

/** Something the notebook can display; `bundle` is the raw MIME bundle. */
export interface Displayable {
  bundle: MimeBundle;
  [key: symbol]: () => Promise<MimeBundle>;
}

/** The key the Deno kernel looks up on a cell's last value (it awaits what the function returns). */
export const DISPLAY: unique symbol = Symbol.for("Jupyter.display") as typeof DISPLAY;

/**
 * Wrap a MIME bundle so that the kernel renders it. The kernel calls the display function when the
 * object is a cell's last value; it first lets the kernel publish the cell's queued output
 * ({@link settleOutput}), so that the result is the cell's last message and goes out under its cell.
 */
export function displayable(bundle: MimeBundle): Displayable {
  return {
    bundle,
    [DISPLAY]: async () => {
      await settleOutput();
      return bundle;
    },
    toString: () => bundle["text/plain"] ?? "",
  } as Displayable;
}

/**
 * A promise of a displayable that the kernel also displays when the promise itself is a cell's last
 * value (a call without `await`): the kernel awaits the display function, which awaits the promise.
 * Without this the cell would show `Promise { <pending> }` and the display would never appear.
 *
 * @example
 * ```ts
 * const later = displayablePromise(Promise.resolve(markdown("ready")));
 * (await later).bundle["text/markdown"];   // "ready"
 * ```
 */
export function displayablePromise<T extends Displayable>(promise: Promise<T>): Promise<T> {
  return Object.assign(promise, { [DISPLAY]: async () => await (await promise)[DISPLAY]() });
}

/**
 * Display now (mid-cell); outside a notebook, print the plain-text form. Resolves once the kernel has
 * had time to publish it ({@link settleOutput}): `await` it, or a display made at the end of a cell can
 * land under the next cell.
 */
export async function show(item: Displayable): Promise<void> {
  const j = jupyter();
  if (j) {
    await j.display(item.bundle, { raw: true });
    await settleOutput();
  } else console.log(item.bundle["text/plain"] ?? "");
}

function formatCell(v: unknown, digits: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  if (typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return v.map((x) => formatCell(x, digits)).join(", ");
  return String(v);
}

/** Options of {@link table}. */
export interface TableOptions {
  caption?: string;
  /** Decimals for non-integer numbers (default 3). */
  digits?: number;
  /** Rows shown at most (default 200; the rest is counted). */
  maxRows?: number;
}

/** A polars DataFrame (or plain records) as an HTML table with a plain-text twin. */
export function table(df: pl.DataFrame | Record<string, unknown>[], opts: TableOptions = {}): Displayable {
  const digits = opts.digits ?? 3, maxRows = opts.maxRows ?? 200;
  const records = Array.isArray(df) ? df : (df.toRecords() as Record<string, unknown>[]);
  const columns = Array.isArray(df) ? [...new Set(df.flatMap((r) => Object.keys(r)))] : df.columns;
  const shown = records.slice(0, maxRows);
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = shown.map((r) =>
    `<tr>${columns.map((c) => {
      const v = r[c];
      const align = typeof v === "number" ? ' style="text-align:right"' : "";
      return `<td${align}>${escapeHtml(formatCell(v, digits))}</td>`;
    }).join("")}</tr>`
  ).join("\n");
  const more = records.length > shown.length ? `<p>... ${records.length - shown.length} more rows</p>` : "";
  const caption = opts.caption ? `<caption style="caption-side:top;font-weight:bold">${escapeHtml(opts.caption)}</caption>` : "";
  const html = `<table class="sharelock-table">${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${more}`;
  const widths = columns.map((c) => Math.max(c.length, ...shown.map((r) => formatCell(r[c], digits).length)));
  const line = (cells: string[]) => cells.map((s, i) => s.padEnd(widths[i])).join("  ");
  const text = [
    ...(opts.caption ? [opts.caption] : []),
    line(columns),
    ...shown.map((r) => line(columns.map((c) => formatCell(r[c], digits)))),
    ...(more ? [`... ${records.length - shown.length} more rows`] : []),
  ].join("\n");
  return displayable({ "text/html": html, "text/plain": text });
}

/** Render an Observable Plot figure to SVG markup (no browser needed). */
export function plotSvg(options: Plot.PlotOptions): string {
  const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>");
  const node = Plot.plot({ ...options, document } as Plot.PlotOptions) as unknown as Element;
  // A figure with a legend or caption is an HTML <figure> wrapping the <svg>: keep it whole.
  const markup = node.outerHTML;
  return node.tagName.toLowerCase() === "svg" && !markup.includes('xmlns="http://www.w3.org/2000/svg"')
    ? markup.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"')
    : markup;
}

/**
 * An Observable Plot figure, displayed as inline SVG (in the notebook and in the HTML report). The bundle
 * carries the SVG both as `image/svg+xml` and inside `text/html` (which every front end renders: classic
 * Notebook, JupyterLab, VS Code); a figure with a legend is an HTML `<figure>`, so HTML only.
 */
export function plot(options: Plot.PlotOptions, alt = "figure"): Displayable {
  const markup = plotSvg(options);
  const plain = `[${alt}]`;
  if (markup.startsWith("<svg")) return displayable({ "text/html": markup, "image/svg+xml": markup, "text/plain": plain });
  return displayable({ "text/html": markup, "text/plain": plain });
}

/** The rich MIME types that the classic Notebook, JupyterLab and VS Code all render without extensions. */
export const PORTABLE_RICH_TYPES = ["text/html", "image/svg+xml", "text/markdown", "image/png"] as const;

/**
 * What keeps a MIME bundle (the `data` of a display_data / execute_result message) from rendering the
 * same in every front end; empty when it is fine. Each bundle needs `text/plain` (the fallback), at least
 * one of {@link PORTABLE_RICH_TYPES}, no empty value, and no vendor type (`application/vnd.*`: the Deno
 * kernel shows a bare polars DataFrame as `application/vnd.dataresource+json` + `text/html` without
 * `text/plain`, which VS Code was reported to show as nothing; display tables with {@link table}). Pure.
 *
 * @example
 * ```ts
 * bundleProblems(table([{ a: 1 }]).bundle);   // []
 * bundleProblems({ "application/vnd.dataresource+json": {} }); // three problems
 * ```
 */
export function bundleProblems(data: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const types = Object.keys(data);
  if (!types.includes("text/plain")) problems.push("no text/plain fallback");
  if (!PORTABLE_RICH_TYPES.some((t) => types.includes(t))) problems.push(`no rich type that every front end renders (has: ${types.join(", ") || "nothing"})`);
  for (const t of types) {
    const v = data[t];
    if (t.startsWith("application/vnd.")) problems.push(`${t} is a vendor type that the stock front ends have no renderer for`);
    if (v === "" || v === null || v === undefined || (Array.isArray(v) && v.join("") === "")) problems.push(`${t} is empty`);
  }
  const svg = data["image/svg+xml"];
  if (typeof svg === "string" && !/^<svg[^>]*xmlns=/.test(svg)) problems.push("image/svg+xml is not a standalone <svg> with xmlns");
  return problems;
}

/** Markdown text (findings written from the numbers of this run). */
export function markdown(text: string): Displayable {
  return displayable({ "text/markdown": text, "text/plain": text });
}

/** Raw HTML (image grids and the like). */
export function html(markup: string, plain = "[html]"): Displayable {
  return displayable({ "text/html": markup, "text/plain": plain });
}

/** One tile of an image grid. */
export interface GridTile {
  image: string;
  caption: string;
}

/** A configuration object as a table of settings (nested values as JSON; in a rehearsal a `rehearsal` row): the first output of every notebook. */
export function configTable(config: object, caption = "Configuration"): Displayable {
  // a rehearsal says so in every config table (once: paper configurations carry the row themselves)
  const rows = { ...config, ...(rehearsalFromEnv() && !("rehearsal" in config) ? { rehearsal: REHEARSAL_NOTE } : {}) };
  return table(Object.entries(rows).map(([setting, v]) => ({ setting, value: typeof v === "object" && v !== null ? JSON.stringify(v) : String(v) })), { caption });
}

/** A square PNG thumbnail of an image file (flattened on white, fitted inside `size` x `size`). */
export async function thumbnailPng(image: string, size: number): Promise<Uint8Array> {
  const png = await sharp(await readImageBytes(image)).flatten({ background: "#ffffff" })
    .resize(size, size, { fit: "contain", background: "#ffffff" }).png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}

/**
 * A grid of images with captions, embedded as base64 PNG thumbnails (they survive the HTML export). The
 * promise is displayable itself ({@link displayablePromise}): a cell may end with `sl.imageGrid(...)`
 * with or without `await`.
 */
export function imageGrid(tiles: GridTile[], opts: { size?: number; columns?: number; title?: string } = {}): Promise<Displayable> {
  return displayablePromise(gridOf(tiles, opts));
}

async function gridOf(tiles: GridTile[], opts: { size?: number; columns?: number; title?: string }): Promise<Displayable> {
  const size = opts.size ?? 72, cols = opts.columns ?? 8;
  const cells = await Promise.all(tiles.map(async (t) => {
    let img = `<div style="width:${size}px;height:${size}px;background:#eee"></div>`;
    try {
      const png = Buffer.from(await thumbnailPng(t.image, size));
      img = `<img src="data:image/png;base64,${png.toString("base64")}" width="${size}" height="${size}" alt="${escapeHtml(t.caption)}"/>`;
    } catch { /* unreadable image: grey tile */ }
    return `<figure style="margin:4px;width:${size + 40}px;text-align:center;font-size:10px">${img}<figcaption>${escapeHtml(t.caption)}</figcaption></figure>`;
  }));
  const title = opts.title ? `<div style="font-weight:bold">${escapeHtml(opts.title)}</div>` : "";
  const html = `${title}<div style="display:grid;grid-template-columns:repeat(${cols}, ${size + 48}px)">${cells.join("")}</div>`;
  return displayable({ "text/html": html, "text/plain": tiles.map((t) => t.caption).join(", ") });
}
