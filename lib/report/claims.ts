/**
 * The paper's claims beside this project's measurements: one row per claim (a table or figure of the
 * paper), the paper's number worked out from `data/paper/*.csv`, this project's number read from the
 * key figures the notebooks record (`sl.recordFigures`), and a verdict computed from its 95% interval.
 * Pure: the paper's tables and the figures come in as arguments.
 *
 * @example
 * ```ts
 * const paper = (name: string) => name === "data_scaling_digitized"
 *   ? [{ model: "ShareLock", pairs: 84000, in1k: 32.1 }, { model: "LiT", pairs: 84000, in1k: 23.2 }]
 *   : [];
 * const rows = claimRows({ "03_sharelock_vlm": { "paired/500 training images/ShareLock - LiT-style (text tower from scratch)": "0.38 [0.19, 0.56] ahead" } }, paper);
 * // rows[2]: { paper: "+8.9 points at 84k pairs", ours: "+0.38 [0.19, 0.56] points", verdict: "ahead", ... }
 * ```
 */
import type { Figure } from "./summary.ts";

/** A paper table as records (column name to value), by file name without `.csv`. */
export type PaperTables = (name: string) => Record<string, unknown>[];

/** Each notebook's key figures, by notebook name. */
export type NotebookFigures = Record<string, Record<string, Figure>>;

/** One row of the results table. */
export interface ClaimRow {
  /** Where the paper makes the claim ("Figure 1", "Table 2"). */
  where: string;
  claim: string;
  paper: string;
  /** This project's number with its 95% interval, or why there is none. */
  ours: string;
  /** ahead / behind / within noise / equivalent, above zero / includes zero, or "-" when not measured. */
  verdict: string;
  notebook: string;
}

/** A measurement read from the figures: the number shown and its verdict. */
interface Measured {
  value: string;
  verdict: string;
}

interface Claim {
  where: string;
  claim: string;
  notebook: string;
  paper: (tables: PaperTables) => string;
  ours: (figures: Record<string, Figure>) => Measured | null;
}

const CAPTION_UNSEEN = "emoji-google + emoji-openmoji + emoji-fluent-color (unseen classes)";
const LIT = "LiT-style (text tower from scratch)";

/**
 * A paired comparison as the notebooks record it, `"<mean> [<lo>, <hi>] <verdict>"`, parsed; null when
 * the text has another shape. Pure.
 *
 * @example
 * ```ts
 * parsePaired("0.61 [0.28, 0.94] ahead"); // { mean: 0.61, lo: 0.28, hi: 0.94, verdict: "ahead" }
 * ```
 */
export function parsePaired(text: Figure | undefined): { mean: number; lo: number; hi: number; verdict: string } | null {
  if (typeof text !== "string") return null;
  const m = text.match(/^(-?[\d.]+) \[(-?[\d.]+), (-?[\d.]+)\] (.+)$/);
  return m ? { mean: Number(m[1]), lo: Number(m[2]), hi: Number(m[3]), verdict: m[4] } : null;
}

const signed = (x: number, digits = 2) => `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;

function paired(key: string, unit = "points"): (f: Record<string, Figure>) => Measured | null {
  return (f) => {
    const p = parsePaired(f[key]);
    return p && { value: `${signed(p.mean)} [${p.lo.toFixed(2)}, ${p.hi.toFixed(2)}] ${unit}`, verdict: p.verdict };
  };
}

function correlation(prefix: string): (f: Record<string, Figure>) => Measured | null {
  return (f) => {
    const [r, lo, hi, n] = [f[`${prefix}_pearson_r`], f[`${prefix}_ci_lo`], f[`${prefix}_ci_hi`], f[`${prefix}_points`]];
    if (typeof r !== "number" || typeof lo !== "number" || typeof hi !== "number") return null;
    const verdict = lo > 0 ? "above zero" : hi < 0 ? "below zero" : "includes zero";
    return { value: `r = ${r.toFixed(2)} [${lo.toFixed(2)}, ${hi.toFixed(2)}]${typeof n === "number" ? ` over ${n} models` : ""}`, verdict };
  };
}

const num = (v: unknown) => Number(v);
const rowsOf = (t: PaperTables, name: string, where: (r: Record<string, unknown>) => boolean) => t(name).filter(where);

/** The ShareLock - LiT gap on ImageNet-1k at the smallest (0) or largest (-1) digitised size. */
function paperGap(t: PaperTables, at: 0 | -1): string {
  const of = (m: string) => rowsOf(t, "data_scaling_digitized", (r) => r.model === m).sort((a, b) => num(a.pairs) - num(b.pairs)).at(at);
  const s = of("ShareLock"), l = of("LiT");
  if (!s || !l) return "not in data/paper/";
  const pairs = num(s.pairs) >= 1e6 ? `${(num(s.pairs) / 1e6).toFixed(1)}M` : `${Math.round(num(s.pairs) / 1e3)}k`;
  return `${signed(num(s.in1k) - num(l.in1k), 1)} points at ${pairs} pairs`;
}

/** The claims, in the paper's order. */
export const CLAIMS: readonly Claim[] = [
  {
    where: "Sections 3-4, Table 1",
    claim: "a stronger language model generalizes better to unseen classes (USE-lite minus word vectors, unseen-class accuracy)",
    notebook: "01_zero_shot_probing",
    paper: (t) => {
      const rows = t("encoder_vs_decoder_digitized");
      return rows.length ? `decoder ahead of encoder in ${rows.filter((r) => num(r.decoder) > num(r.encoder)).length} of ${rows.length} sizes` : "not in data/paper/";
    },
    ours: paired("paired/unseen (templates)/use-lite - word2vec-100d"),
  },
  {
    where: "Figure 1",
    claim: "language capability correlates with visual generalization (Pearson r, real language models)",
    notebook: "02_language_capability_vs_vision",
    paper: () => "r = 0.768",
    ours: correlation("real"),
  },
  {
    where: "Figure 4, Table 2",
    claim: "ShareLock beats a text tower trained from scratch with little data (ShareLock minus LiT, fewest pairs)",
    notebook: "03_sharelock_vlm",
    paper: (t) => paperGap(t, 0),
    ours: paired(`paired/500 training images/ShareLock - ${LIT}`),
  },
  {
    where: "Figure 4, Table 2",
    claim: "the gap narrows with more data (ShareLock minus LiT, all pairs)",
    notebook: "03_sharelock_vlm",
    paper: (t) => paperGap(t, -1),
    ours: paired(`paired/all training images/ShareLock - ${LIT}`),
  },
  {
    where: "Figure 4, Table 2",
    claim: "ShareLock against training-free ASIF on unseen classes (top-1)",
    notebook: "03_sharelock_vlm",
    paper: (t) => {
      const of = (m: string) => rowsOf(t, "imagenet_variants_v1", (r) => r.model === m && r.data === "COCO")[0];
      const s = of("ShareLock"), a = of("ASIF");
      return s && a ? `${signed(num(s.in1k) - num(a.in1k), 1)} points (ImageNet-1k, COCO)` : "not in data/paper/";
    },
    ours: paired(`paired/${CAPTION_UNSEEN}/ShareLock - ASIF (training-free)`),
  },
  {
    where: "Table 3",
    claim: "class names outside English: Italian minus English (top-1)",
    notebook: "04_multilingual",
    paper: (t) => {
      const s = rowsOf(t, "multilingual_v1", (r) => r.model === "ShareLock" && r.data === "COCO")[0];
      return s ? `${signed(num(s.it) - num(s.en), 1)} points (ShareLock, COCO)` : "not in data/paper/";
    },
    ours: paired("paired/top-1, use-lite/it - en"),
  },
  {
    where: "Table 4",
    claim: "compositional groups: group score minus chance (16.7%)",
    notebook: "05_compositionality",
    paper: (t) => {
      const s = rowsOf(t, "winoground_v1", (r) => r.model === "ShareLock");
      return s.length ? `${s.map((r) => signed(num(r.group) - 16.7, 1)).join(" / ")} points (ShareLock, ${s.map((r) => r.data).join(" / ")})` : "not in data/paper/";
    },
    ours: paired("paired/group score/ShareLock / use-lite - chance"),
  },
  {
    where: "Figure 3",
    claim: "the strongest language model gives the best vision-language model (mean rank of USE-lite, 1 = first)",
    notebook: "06_language_model_choice",
    paper: () => "the strongest LLM ranks first",
    ours: (f) => {
      const ranks = Object.entries(f).filter(([k, v]) => k.endsWith("/mean_rank") && typeof v === "number") as [string, number][];
      const own = f["use-lite/mean_rank"];
      if (typeof own !== "number" || !ranks.length) return null;
      const better = ranks.filter(([, v]) => v < own).length;
      return { value: `mean rank ${own} of ${ranks.length} encoders`, verdict: better === 0 ? "first" : `${better} ranked ahead` };
    },
  },
  {
    where: "Appendix D",
    claim: "a fixed temperature τ = 0.07: τ = 0.01 minus τ = 0.07 (top-1)",
    notebook: "07_ablations",
    paper: () => "τ = 0.07 chosen",
    ours: paired("paired/temperature/τ = 0.01 - default"),
  },
];

/**
 * The results table's rows from each notebook's key figures; a claim whose figures are missing says so
 * ("not recorded") instead of failing. Pure.
 */
export function claimRows(figures: NotebookFigures, tables: PaperTables): ClaimRow[] {
  return CLAIMS.map((c) => {
    const f = figures[c.notebook];
    const m = f ? c.ours(f) : null;
    return {
      where: c.where,
      claim: c.claim,
      paper: c.paper(tables),
      ours: m ? m.value : f ? "not recorded" : "not run",
      verdict: m ? m.verdict : "-",
      notebook: c.notebook,
    };
  });
}
