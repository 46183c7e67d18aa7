/**
 * One language encoder's scores on a probing context, as notebook 02 and the leaderboard (08) report them:
 * **visual generalization** (the strict zero-shot probe's unseen-class mean per-class recall, one cached
 * run per seed, with a 95% t-interval and the per-run values for paired comparisons), the text-only
 * **capability score** (`capabilityScore`, WordNet multiple choice, chance 20%) and **training-free
 * alignment** (`classAlignment`: mutual k-NN, CKA and unbiased CKA on the unseen classes). Given several
 * contexts (one per seen / unseen split), the runs are every split crossed with every seed.
 * {@link scoreEncoders} scores a list and turns a model that cannot be loaded or run into a row with its
 * reason instead of an exception (the preflight / model doctor's reason when it has one).
 *
 * @example
 * ```ts
 * import { probingContext } from "./probing.ts";
 * import { loadWordNet } from "../data/wordnet.ts";
 * const ctx = await probingContext({ dataset: "emoji-google", vision: "mobilenet-v2" });
 * const opts = { seeds: [0, 1, 2], wordnet: await loadWordNet() };
 * const s: EncoderScore = await scoreLanguageEncoder(ctx, "use-lite", opts);
 * console.log(s.visual.mean, s.visual.ci, s.capability.accuracy, s.alignment.mutualKnn.value);
 * const rows = await scoreEncoders(ctx, ["use-lite", "hf:example-org/not-downloaded:mean"], opts);
 * for (const r of rows) console.log(r.name, r.ok ? r.score.visual.mean : r.reason);
 * ```
 */
import type { WordNet } from "../data/wordnet.ts";
import type { LanguageEncoder } from "../encoders/types.ts";
import { languageEncoder } from "../encoders/registry.ts";
import type { TrainConfig } from "../train/trainer.ts";
import { meanInterval } from "../stats/intervals.ts";
import type { AlignmentReport } from "../stats/alignment.ts";
import { cachedProbingRuns, type ProbingContext, type ProbingResult, type Representation } from "./probing.ts";
import { preflight } from "./preflight.ts";
import { capabilityScore } from "./language_tasks.ts";
import { classAlignment } from "./class_alignment.ts";
import type { CacheLedger } from "../report/cache_report.ts";

/** The text-only capability score of one encoder (fractions; `low`/`high`: normal 95% interval). */
export type CapabilityScore = Awaited<ReturnType<typeof capabilityScore>>;

/** Visual generalization over runs: mean per-class recall on unseen classes (a fraction). */
export interface VisualScore {
  mean: number;
  /** 95% t-interval of the mean over runs. */
  ci: [number, number];
  /** Each run's value, keyed `split<S>/seed<N>`, so that two encoders can be compared run by run. */
  perRun: Record<string, number>;
}

/** Everything one encoder scores on a probing context. */
export interface EncoderScore {
  /** The name as asked for (registry name or `hf:` id). */
  name: string;
  /** Feature dimension. */
  dim: number;
  visual: VisualScore;
  /** Multi-style contexts: the unseen classes in the held-out style (never trained on), per run. */
  styleShift?: VisualScore;
  capability: CapabilityScore;
  /** Mutual k-NN, CKA, unbiased CKA with bootstrap intervals, and the k-NN chance level. */
  alignment: AlignmentReport;
}

/** One probing run asked of an {@link EncoderSource}: a split, a language encoder by name, a seed. */
export interface ProbeRequest {
  ctx: ProbingContext;
  name: string;
  seed: number;
  representation: Representation;
  train?: Partial<TrainConfig>;
}

/** Where encoders come from: opening one, probing runs, and what stops a list of names from loading. */
export interface EncoderSource {
  open(name: string): Promise<LanguageEncoder>;
  /** The runs' results in request order (`label`: what a plan and progress bar call them). */
  probeRuns(runs: readonly ProbeRequest[], label: string): Promise<ProbingResult[]>;
  /** Names that cannot load, each with its reason (absent: it loads). */
  problems(ctx: ProbingContext, names: readonly string[]): Promise<Record<string, string>>;
}

/**
 * The registry (names and `hf:` ids): cached probing runs, the uncached ones trained as one batched grid
 * after its plan (runs cached, runs to train, time at the measured speed), and the preflight (with the
 * model doctor for `hf:` models) for what cannot load.
 */
export const REGISTRY_ENCODERS: EncoderSource = {
  open: (name) => languageEncoder(name),
  probeRuns: (runs, label) => cachedProbingRuns(runs.map(({ name, ...run }) => ({ ...run, text: name })), { label }),
  problems: async (ctx, names) => {
    const lines = await preflight({ datasets: [], vision: ctx.vision, language: [...names] });
    return problemsByName(lines, names);
  },
};

/** Attribute preflight lines (`language encoder NAME: reason`) to the names they are about. Pure. */
export function problemsByName(lines: readonly string[], names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  // longest name first, so that "a-b" is not taken for "a"
  const byLength = [...names].sort((a, b) => b.length - a.length);
  for (const line of lines) {
    const name = byLength.find((n) => line.startsWith(`language encoder ${n}: `));
    if (name) out[name] = out[name] ? `${out[name]}; ${line.slice(`language encoder ${name}: `.length)}` : line.slice(`language encoder ${name}: `.length);
  }
  return out;
}

/** Options of {@link scoreLanguageEncoder}. */
export interface EncoderScoreOptions {
  /** Initialisation seeds of the probe (one run each on every context's split). */
  seeds: readonly number[];
  wordnet: WordNet;
  /** Training settings of the probe (part of the cache key: keep them fixed to reuse runs). */
  train?: Partial<TrainConfig>;
  /** Class texts of the probe (default templates). */
  representation?: Representation;
  /** Items per capability task (default 1000). */
  capabilityItems?: number;
  /** Mutual k-NN's k and bootstrap resamples (default 10, 200). */
  alignment?: { k?: number; resamples?: number; seed?: number };
  /** Default: {@link REGISTRY_ENCODERS}. */
  source?: EncoderSource;
  /** Called after each encoder's capability score and alignment (the runs have their own plan and progress), e.g. to tick a progress bar. */
  onStep?: (what: string) => void;
  /** Counts each probing run as cached or trained now (the notebook's `cacheLedger()`). */
  ledger?: CacheLedger;
}

/** Whether a value is one probing context (not a list of them). */
function isContext(x: ProbingContext | readonly ProbingContext[]): x is ProbingContext {
  return !Array.isArray(x);
}

/** Mean and 95% interval of runs keyed by name. Pure. */
function runSummary(perRun: Record<string, number>): VisualScore {
  const s = meanInterval(Object.values(perRun));
  return { mean: s.mean, ci: s.ci, perRun };
}

/** An encoder's runs: every context (one per seen / unseen split) crossed with every seed; throws on a split seed given twice. Pure. */
function probeRequests(contexts: readonly ProbingContext[], name: string, opts: EncoderScoreOptions): ProbeRequest[] {
  if (!contexts.length) throw new Error(`scoreLanguageEncoder(${name}): no probing context`);
  const splits = contexts.map((c) => c.split.seed), twice = splits.find((s, i) => splits.indexOf(s) !== i);
  if (twice !== undefined) throw new Error(`scoreLanguageEncoder(${name}): two contexts have split seed ${twice}`);
  return contexts.flatMap((ctx) => opts.seeds.map((seed) => ({ ctx, name, seed, representation: opts.representation ?? "templates", train: opts.train })));
}

/** Capability and alignment of an encoder whose runs are done; the visual scores from the runs (keyed `split<S>/seed<N>`). */
async function scoreProbed(name: string, runs: readonly ProbeRequest[], results: readonly ProbingResult[], opts: EncoderScoreOptions): Promise<EncoderScore> {
  const source = opts.source ?? REGISTRY_ENCODERS;
  const perRun: Record<string, number> = {}, shifted: Record<string, number> = {};
  for (const [k, r] of results.entries()) {
    opts.ledger?.count(r);
    const run = `split${runs[k].ctx.split.seed}/seed${runs[k].seed}`;
    perRun[run] = r.unseen.meanPerClassRecall;
    if (r.styleShift) shifted[run] = r.styleShift.meanPerClassRecall;
  }
  const ctx = runs[0].ctx, enc = await source.open(name);
  try {
    const capability = await capabilityScore(enc, opts.wordnet, { n: opts.capabilityItems ?? 1000 });
    opts.onStep?.(`${name} capability`);
    const alignment = await classAlignment(ctx, enc, { classes: ctx.unseenClasses, ...opts.alignment });
    opts.onStep?.(`${name} alignment`);
    const styleShift = Object.keys(shifted).length === Object.keys(perRun).length ? runSummary(shifted) : undefined;
    return { name, dim: enc.identity.dim, visual: runSummary(perRun), ...(styleShift ? { styleShift } : {}), capability, alignment };
  } finally {
    enc.dispose();
  }
}

/**
 * Probe over the seeds on each context (one context per seen / unseen split: runs are keyed
 * `split<S>/seed<N>`; the source trains them as one grid), then score capability and alignment (on the
 * first context's unseen classes). Multi-style contexts also give the style shift: the unseen classes in
 * the held-out style, per run.
 */
export async function scoreLanguageEncoder(ctx: ProbingContext | readonly ProbingContext[], name: string, opts: EncoderScoreOptions): Promise<EncoderScore> {
  const runs = probeRequests(isContext(ctx) ? [ctx] : ctx, name, opts);
  const results = await (opts.source ?? REGISTRY_ENCODERS).probeRuns(runs, `${name}: ${runs.length} probing runs`);
  return scoreProbed(name, runs, results, opts);
}

/** One leaderboard entry: scored, or why not. */
export type EncoderRow = { name: string; ok: true; score: EncoderScore } | { name: string; ok: false; reason: string };

/**
 * Score every encoder of a list, in order. A name the source's preflight rejects is not run; a model that
 * fails while scoring becomes a row with the error's first line. Never throws for one model's fault.
 */
export async function scoreEncoders(ctx: ProbingContext | readonly ProbingContext[], names: readonly string[], opts: EncoderScoreOptions): Promise<EncoderRow[]> {
  const source = opts.source ?? REGISTRY_ENCODERS, contexts = isContext(ctx) ? [ctx] : ctx;
  const problems = await source.problems(contexts[0], names);
  const failed = new Map<string, string>(Object.entries(problems));
  const fail = (name: string, err: unknown) => failed.set(name, `failed while scoring: ${(err as Error).message.split("\n")[0]}`);
  const runs = new Map<string, ProbeRequest[]>();
  for (const name of names.filter((n) => !failed.has(n))) {
    try {
      runs.set(name, probeRequests(contexts, name, opts));
    } catch (err) {
      fail(name, err);
    }
  }
  // every encoder's runs as one grid (one plan, runs of a shape batched); should a run fail, each encoder
  // on its own, so that the failure is its row's reason (the runs done meanwhile are cached)
  const results = new Map<string, ProbingResult[]>();
  const all = [...runs.values()].flat();
  const joint = all.length ? await source.probeRuns(all, `probing runs of ${runs.size} encoders`).catch(() => undefined) : [];
  let k = 0;
  for (const [name, own] of runs) {
    if (joint) results.set(name, joint.slice(k, k += own.length));
    else {
      try {
        results.set(name, await source.probeRuns(own, `${name}: ${own.length} probing runs`));
      } catch (err) {
        fail(name, err);
      }
    }
  }
  const rows: EncoderRow[] = [];
  for (const name of names) {
    const done = results.get(name);
    if (done) {
      try {
        rows.push({ name, ok: true, score: await scoreProbed(name, runs.get(name)!, done, { ...opts, source }) });
        continue;
      } catch (err) {
        fail(name, err);
      }
    }
    rows.push({ name, ok: false, reason: failed.get(name)! });
  }
  return rows;
}

/** Percent figures of one score, flat, for tables, parquet and plots (the columns notebook 02 reports). Pure. */
export function encoderScoreRow(s: EncoderScore) {
  return {
    encoder: s.name,
    capability_pct: 100 * s.capability.accuracy, capability_lo: 100 * s.capability.low, capability_hi: 100 * s.capability.high,
    visual_pct: 100 * s.visual.mean, visual_ci_lo: 100 * s.visual.ci[0], visual_ci_hi: 100 * s.visual.ci[1],
    mutual_knn_pct: 100 * s.alignment.mutualKnn.value, mutual_knn_lo: 100 * s.alignment.mutualKnn.low, mutual_knn_hi: 100 * s.alignment.mutualKnn.high,
    unbiased_cka: s.alignment.unbiasedCka.value, cka: s.alignment.cka.value, dim: s.dim,
  };
}

/** {@link encoderScoreRow}'s type. */
export type EncoderScoreRow = ReturnType<typeof encoderScoreRow>;
