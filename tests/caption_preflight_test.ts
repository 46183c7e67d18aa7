import assert from "node:assert/strict";
import { join } from "node:path";
import { captionPreflight } from "../lib/experiments/caption_preflight.ts";
import { CAPTIONS_EMBEDDED } from "../lib/config.ts";

Deno.test("captionPreflight: missing training data or encoders stop the run; missing test sets are left out with the reason", async () => {
  const dir = await Deno.makeTempDir();
  const before = Deno.env.get("SHARELOCK_DATA_DIR");
  Deno.env.set("SHARELOCK_DATA_DIR", dir);
  try {
    const corpus = { ...CAPTIONS_EMBEDDED.corpus, vision: "no-such-vision", captionSets: ["coco"], emoji: null, emojiShift: "emoji-twitter", heldOutSets: ["imagenet-r", "imagenet-sketch"] };
    const pf = await captionPreflight(corpus, ["random-text"]);
    assert.equal(pf.problems.length, 3, pf.problems.join("\n"));
    assert.match(pf.problems[0], /dataset coco: COCO captions file not found at .*captions_train2017\.json/);
    assert.match(pf.problems[1], /vision encoder no-such-vision: unknown vision encoder/);
    assert.deepEqual(pf.skipped.map((s) => s.dataset), ["emoji-twitter", "imagenet-r", "imagenet-sketch"]);
    assert.match(pf.problems[2], /no zero-shot test set is available \(emoji-twitter, imagenet-r, imagenet-sketch\)/);
    assert.match(pf.skipped[1].reason, /imagenet-r/);
    // with ImageNet-R on disk it is kept, the missing sketch set still left out
    await Deno.mkdir(join(dir, "imagenet-r", "goldfish"), { recursive: true });
    await Deno.writeFile(join(dir, "imagenet-r", "goldfish", "art_0.jpg"), new Uint8Array([0xff, 0xd8]));
    const pf2 = await captionPreflight(corpus, ["random-text"]);
    assert.deepEqual(pf2.corpus.heldOutSets, ["imagenet-r"]);
    assert.equal(pf2.problems.length, 2, "a test set on disk: only the training data and the encoder are missing");
    assert.deepEqual(pf2.skipped.map((s) => s.dataset), ["emoji-twitter", "imagenet-sketch"]);
  } finally {
    if (before === undefined) Deno.env.delete("SHARELOCK_DATA_DIR");
    else Deno.env.set("SHARELOCK_DATA_DIR", before);
    await Deno.remove(dir, { recursive: true });
  }
});
