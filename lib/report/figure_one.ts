/**
 * This project's analogue of the paper's Figure 1, drawn from the published key figures: language
 * capability against visual generalization, the paper's 33 LLMs (MMLU-Pro against ImageNet-based visual
 * generalization, digitised) beside notebook 02's language encoders (the capability score against
 * unseen-class accuracy), each axis as z-scores within its source so that both fit one plot. Pure: the
 * same figures give the same SVG bytes.
 *
 * @example
 * ```ts
 * const points = figureOnePoints({ "use-lite/capability_pct": 56.4, "use-lite/visual_pct": 2.28 },
 *   [{ mmlu_pro: 2.3, visual_generalization: 35.3 }, { mmlu_pro: 24.3, visual_generalization: 39.1 }]);
 * const svg = figureOneSvg(points);   // standalone <svg>
 * ```
 */
import * as Plot from "@observablehq/plot";
import type { Figure } from "./summary.ts";
import { plotSvg } from "./display.ts";

/** One point of the figure, its axes as z-scores within its source. */
export interface FigureOnePoint {
  source: "paper" | "this project";
  label: string;
  control: boolean;
  capability: number;
  visual: number;
}

/** Each value as its distance from the mean in sample standard deviations (all 0 when they do not vary). Pure. */
export function zScores(xs: readonly number[]): number[] {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return xs.map((x) => (sd > 0 ? (x - mean) / sd : 0));
}

function standardised(source: FigureOnePoint["source"], raw: { label: string; control: boolean; x: number; y: number }[]): FigureOnePoint[] {
  const zx = zScores(raw.map((r) => r.x)), zy = zScores(raw.map((r) => r.y));
  return raw.map((r, i) => ({ source, label: r.label, control: r.control, capability: +zx[i].toFixed(4), visual: +zy[i].toFixed(4) }));
}

/**
 * The figure's points: the paper's rows (`mmlu_pro`, `visual_generalization`) and, from notebook 02's
 * figures, every encoder with both `<encoder>/capability_pct` and `<encoder>/visual_pct`; encoders named
 * `random-*` are the controls. Pure.
 */
export function figureOnePoints(figures02: Record<string, Figure>, paper: Record<string, unknown>[]): FigureOnePoint[] {
  const paperRaw = paper.map((r, i) => ({ label: `paper ${i + 1}`, control: false, x: Number(r.mmlu_pro), y: Number(r.visual_generalization) }))
    .filter((r) => Number.isFinite(r.x) && Number.isFinite(r.y));
  const own = Object.keys(figures02).filter((k) => k.endsWith("/capability_pct")).map((k) => k.slice(0, -"/capability_pct".length)).sort()
    .flatMap((enc) => {
      const x = figures02[`${enc}/capability_pct`], y = figures02[`${enc}/visual_pct`];
      return typeof x === "number" && typeof y === "number" ? [{ label: enc, control: enc.startsWith("random-"), x, y }] : [];
    });
  return [...standardised("paper", paperRaw), ...(own.length >= 2 ? standardised("this project", own) : [])];
}

const COLOURS = { "paper": "#9a9a9a", "this project": "#d1495b" } as const;

/** The figure as a standalone SVG; without this project's points it shows the paper's alone and says so. Pure. */
export function figureOneSvg(points: FigureOnePoint[]): string {
  const own = points.filter((p) => p.source === "this project");
  const notes = [
    { text: "grey: the paper's 33 LLMs (MMLU-Pro, visual generalization)", fill: COLOURS.paper },
    { text: own.length ? `red: this project's ${own.length} language encoders (capability score, unseen-class accuracy; hollow: random controls)` : "this project: no results yet (run `deno task reproduce`)", fill: COLOURS["this project"] },
  ];
  return plotSvg({
    width: 720, height: 420, grid: true, marginRight: 20, style: { background: "white", color: "black" },
    x: { label: "language capability (z-score within source) →", domain: [-2.6, 2.6] },
    y: { label: "↑ visual generalization (z-score within source)", domain: [-2.6, 2.6] },
    marks: [
      Plot.linearRegressionY(points.filter((p) => !p.control), { x: "capability", y: "visual", stroke: (d: FigureOnePoint) => COLOURS[d.source], ci: 0 }),
      Plot.dot(points, {
        x: "capability", y: "visual", r: (d: FigureOnePoint) => (d.source === "paper" ? 3.5 : 5),
        stroke: (d: FigureOnePoint) => COLOURS[d.source], fill: (d: FigureOnePoint) => (d.control ? "white" : COLOURS[d.source]),
      }),
      Plot.text(own, { x: "capability", y: "visual", text: "label", dx: 7, textAnchor: "start", fontSize: 9, fill: COLOURS["this project"] }),
      ...notes.map((n, i) => Plot.text([n.text], { frameAnchor: "bottom-right", dx: -6, dy: -22 + 14 * i, textAnchor: "end", fill: n.fill, fontSize: 11 })),
    ],
  });
}
