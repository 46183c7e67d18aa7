/**
 * LLM-written class descriptions (the paper's third class representation): a text-generation model
 * writes a short encyclopedic description of each class, split into sentences. Generated once per
 * (model, prompt, class) and cached under `<cache>/llm-descriptions/`, one JSON file per model; a crash
 * loses at most the class being written.
 *
 * Which model: the `model` option, else `SHARELOCK_LLM` (a Hugging Face ONNX text-generation model id or
 * folder, loaded through transformers.js). With none, the result says why it is empty.
 *
 * @example
 * ```ts
 * const d = await llmDescriptions(["tabby cat", "sandal"]);
 * if (d.reason) console.log(`no LLM descriptions: ${d.reason}`);
 * ```
 */
import { join } from "node:path";
import { pipeline } from "@huggingface/transformers";
import { projectPaths } from "../runtime/paths.ts";
import { readSetting } from "../runtime/env.ts";
import { readJsonOr, writeJsonAtomic } from "../runtime/atomic.ts";
import { hashSeed } from "../runtime/random.ts";
import { splitSentences } from "./templates.ts";

/** The prompt (the paper asks for Wikipedia-style articles). */
export const DESCRIPTION_PROMPT = "Write a short encyclopedic description, in the style of Wikipedia, of: {}.\n";

/** Descriptions per class, or why there are none. */
export interface LlmDescriptions {
  model: string | null;
  texts: Record<string, string[]>;
  reason?: string;
}

/** Generate (or read cached) descriptions. `generate` replaces the model (tests, other back ends). */
export async function llmDescriptions(
  classes: string[],
  opts: { model?: string; generate?: (prompt: string) => Promise<string>; maxNewTokens?: number; cache?: string } = {},
): Promise<LlmDescriptions> {
  const model = opts.model ?? readSetting("llm");
  if (!model && !opts.generate) {
    return { model: null, texts: {}, reason: "no text-generation model is configured (set SHARELOCK_LLM to a Hugging Face ONNX text-generation model id or local folder); none ships with the embedded default" };
  }
  const name = model ?? "custom-generator";
  const path = join(opts.cache ?? projectPaths().cache, "llm-descriptions", `${name.replace(/[^A-Za-z0-9._-]+/g, "_")}-${hashSeed(DESCRIPTION_PROMPT).toString(16)}.json`);
  const cached = await readJsonOr<Record<string, string>>(path, {});
  let generate = opts.generate;
  if (!generate) {
    try {
      const gen = await pipeline("text-generation", model!, { dtype: "fp32" });
      generate = async (prompt: string) => {
        const out = await gen(prompt, { max_new_tokens: opts.maxNewTokens ?? 120, do_sample: false }) as { generated_text: string }[];
        return out[0].generated_text.slice(prompt.length);
      };
    } catch (err) {
      return { model, texts: {}, reason: `the text-generation model "${model}" could not be loaded: ${(err as Error).message.split("\n")[0]}` };
    }
  }
  for (const c of classes) {
    if (cached[c] !== undefined) continue;
    cached[c] = (await generate(DESCRIPTION_PROMPT.replace("{}", c))).trim();
    await writeJsonAtomic(path, cached);
  }
  const texts: Record<string, string[]> = {};
  for (const c of classes) texts[c] = splitSentences(cached[c]).filter((s) => s.length > 3);
  return { model: name, texts };
}
