import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { dictdNumber, gcideEntryText, loadGcide } from "../lib/data/gcide.ts";
import { buildVocab, trainSkipGram } from "../lib/encoders/text/skipgram.ts";
import { centreRows, corpusSlice, LADDER, ladderName, parseLadderName, skipGramEncoder, skipGramTable } from "../lib/encoders/text/skipgram_ladder.ts";
import { languageEncoder } from "../lib/encoders/registry.ts";
import { seededRandom } from "../lib/runtime/random.ts";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function b64(n: number): string {
  let s = "";
  do {
    s = B64[n % 64] + s;
    n = Math.floor(n / 64);
  } while (n > 0);
  return s;
}

/** Write a dictd database (index + gzipped dict) laid out like the Debian package, under a new folder. */
async function writeDictd(entries: [string, string][], aliases: [string, number][] = []): Promise<string> {
  const root = await Deno.makeTempDir();
  const dir = join(root, "usr", "share", "dictd");
  await Deno.mkdir(dir, { recursive: true });
  const enc = new TextEncoder();
  let body = "", index = "";
  const lines: string[] = [];
  for (const [head, text] of entries) {
    const start = enc.encode(body).length, len = enc.encode(text).length;
    lines.push(`${head}\t${b64(start)}\t${b64(len)}`);
    body += text;
  }
  for (const [head, of] of aliases) lines.push(`${head}\t${lines[of].split("\t").slice(1).join("\t")}`);
  index = lines.join("\n") + "\n";
  await Deno.writeFile(join(dir, "gcide.dict.dz"), gzipSync(enc.encode(body)));
  await Deno.writeTextFile(join(dir, "gcide.index"), index);
  await Deno.writeTextFile(join(root, ".deb-version"), "0.0-test");
  return root;
}

/** Two topics whose words never share a document: pets and vehicles. */
function topicCorpus(docs: number, seed = 1): string[] {
  const topics = [["cat", "dog", "pet", "fur", "paw", "purr"], ["car", "road", "wheel", "engine", "fuel", "brake"]];
  const rng = seededRandom(seed);
  return Array.from({ length: docs }, (_, i) => Array.from({ length: 8 }, () => topics[i % 2][rng.int(6)]).join(" "));
}

const cos = (t: { words: string[]; vectors: Float32Array; dim: number }, a: string, b: string) => {
  const i = t.words.indexOf(a) * t.dim, j = t.words.indexOf(b) * t.dim;
  let d = 0, na = 0, nb = 0;
  for (let k = 0; k < t.dim; k++) (d += t.vectors[i + k] * t.vectors[j + k], na += t.vectors[i + k] ** 2, nb += t.vectors[j + k] ** 2);
  return d / Math.sqrt(na * nb);
};

Deno.test("dictd: base-64 numbers, entries split by the index, WordNet senses and markup removed", async () => {
  assert.equal(dictdNumber("A"), 0);
  assert.equal(dictdNumber("Bz"), 64 + 51);
  assert.throws(() => dictdNumber("a!"), /not a dictd base-64 number/);
  const text = gcideEntryText(
    'Cat \\Cat\\, n. [AS. cat; akin to [=a]F.]\n   1. A small domestic animal. --Shak.\n   [1913 Webster]\n' +
      "   2. a feline mammal usually having thick soft fur\n        [WordNet 1.5]\n",
  );
  assert.equal(text, "Cat , A small domestic animal.");
  const root = await writeDictd([["00-database-short", "00-database-short\n   Test\n"], ["Dog", "Dog \\Dog\\, n. A barking animal.\n   [1913 Webster]\n"]], [["dog", 1]]);
  const c = await loadGcide(root);
  assert.deepEqual(c.documents, ["Dog , A barking animal."], "database info skipped, one entry per offset");
  assert.match(c.version, /^dict-gcide 0\.0-test \(text v\d+\)$/);
});

Deno.test("skip-gram: deterministic per seed, loss decreases, co-occurring words end up closer", () => {
  const docs = topicCorpus(400);
  const a = trainSkipGram(docs, { dim: 16, minCount: 1, sample: 0, epochs: 3, seed: 7 });
  const b = trainSkipGram(docs, { dim: 16, minCount: 1, sample: 0, epochs: 3, seed: 7 });
  const c = trainSkipGram(docs, { dim: 16, minCount: 1, sample: 0, epochs: 3, seed: 8 });
  assert.deepEqual(a.table.words, b.table.words);
  assert.deepEqual([...a.table.vectors], [...b.table.vectors], "same seed, same vectors");
  assert.notDeepEqual([...a.table.vectors], [...c.table.vectors], "another seed, other vectors");
  assert.ok(a.losses.length >= 5);
  assert.ok(a.losses.at(-1)! < 0.8 * a.losses[0], `loss ${a.losses[0]} -> ${a.losses.at(-1)}`);
  const within = [["cat", "dog"], ["fur", "paw"], ["car", "road"], ["wheel", "fuel"]].map(([x, y]) => cos(a.table, x, y));
  const across = [["cat", "car"], ["dog", "road"], ["fur", "wheel"], ["paw", "fuel"]].map(([x, y]) => cos(a.table, x, y));
  assert.ok(Math.min(...within) > Math.max(...across) + 0.2, `within ${within} across ${across}`);
  assert.deepEqual(buildVocab([["b", "a", "b"], ["c"]], 1), { words: ["b", "a", "c"], counts: [2, 1, 1] });
  assert.throws(() => trainSkipGram(docs, { dim: 0 }), /dim = 0 must be a positive integer/);
  assert.throws(() => trainSkipGram(["one two"], { dim: 4, minCount: 5 }), /0 word\(s\) seen at least 5 times/);
});

Deno.test("ladder: nested slices, names, cache hit on the second call and miss when any setting changes", async () => {
  const docs = Array.from({ length: 100 }, (_, i) => `doc${i}`);
  const s10 = corpusSlice(docs, 10), s30 = corpusSlice(docs, 30);
  assert.equal(s10.length, 10);
  assert.deepEqual(s30.slice(0, 10), s10, "each slice contains the smaller one");
  assert.notDeepEqual(s10, docs.slice(0, 10), "slices are a seeded shuffle, not the first letters of the alphabet");
  assert.deepEqual(parseLadderName("skipgram-gcide-30-d50"), { slice: 30, dim: 50 });
  assert.deepEqual([...centreRows({ words: ["a", "b"], vectors: Float32Array.of(1, 2, 3, 6), dim: 2, source: "t" }).vectors], [-1, -2, 1, 2]);
  assert.equal(parseLadderName("word2vec-100d"), null);
  for (const name of LADDER) assert.equal(ladderName(parseLadderName(name)!), name);

  const corpusRoot = await writeDictd(topicCorpus(120).map((t, i) => [`w${i}`, `W${i} \\W\\, n. ${t}\n   [1913 Webster]\n`]));
  const cache = await Deno.makeTempDir();
  const base = { slice: 50, dim: 8, minCount: 1, corpusRoot, cache, progress: "silent" as const };
  const first = await skipGramTable(base);
  assert.equal(first.cached, false);
  assert.ok(first.training && first.training.documents === 60);
  const again = await skipGramTable(base);
  assert.equal(again.cached, true, "second call reads the cache");
  assert.deepEqual([...again.table.vectors], [...first.table.vectors]);
  assert.deepEqual(again.table.words, first.table.words);
  const enc = await skipGramEncoder(base);
  const ids = new Set([JSON.stringify(enc.identity)]);
  for (const change of [{ slice: 100 }, { dim: 4 }, { window: 2 }, { negatives: 2 }, { epochs: 2 }, { sample: 1e-3 }, { lr: 0.05 }, { seed: 1 }, { sliceSeed: 1 }, { vectors: "input+output" as const }, { headwordPairs: false }, { minCount: 2 }]) {
    const t = await skipGramTable({ ...base, ...change });
    assert.equal(t.cached, false, `changing ${JSON.stringify(change)} trains anew`);
    ids.add(JSON.stringify((await skipGramEncoder({ ...base, ...change })).identity));
  }
  assert.equal(ids.size, 13, "every setting changes the encoder identity (so the feature store key)");
  const [v] = await enc.embed(["cat dog"]);
  assert.equal(v.length, 8);
  assert.equal(enc.identity.name, "skipgram-gcide-50-d8");
  await assert.rejects(skipGramTable({ ...base, corpusRoot: join(cache, "nowhere") }), /nowhere\/usr\/share\/dictd\/gcide\.index does not exist/);
});

Deno.test("ladder: the smallest real rung resolves by name, trains once, and knows some English", async () => {
  const name = LADDER[0];
  const enc = await languageEncoder(name); // trains into the project cache on first use (~10 s on 2 cores)
  assert.equal(enc.identity.name, name);
  assert.match(enc.identity.version, /dict-gcide/);
  const t = await skipGramTable({ ...parseLadderName(name)!, progress: "silent" });
  assert.equal(t.cached, true, "the registry's training was cached");
  assert.ok(t.table.words.length > 5000, `vocabulary ${t.table.words.length}`);
  assert.ok(t.training!.losses.at(-1)! < t.training!.losses[0], "loss decreases");
  assert.ok(cos(t.table, "king", "queen") > cos(t.table, "king", "vinegar"), "king is nearer queen than vinegar");
});
