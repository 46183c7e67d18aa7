/**
 * Scale-out on a real scheduler: a single-node Slurm on localhost (Debian `slurm-wlm` and `munge`,
 * installed with apt when missing, configured in a temporary folder), `deno task extract` submitted as a
 * 2-task job array writing one store, and the merged features compared with a one-process extraction:
 * an embedded language encoder over an embedded dataset, and (the example in docs/extraction.md) `hf:` fixture models
 * over an on-disk class-folder dataset under SHARELOCK_DATA_DIR.
 * Skipped, saying why, only when not root or when the packages cannot be installed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { hostname } from "node:os";
import { existsSync } from "node:fs";
import { REPO_ROOT } from "../lib/runtime/paths.ts";
import { openStore } from "../lib/store/feature_store.ts";
import { verifyStore } from "../lib/store/verify.ts";
import { languageEncoder } from "../lib/encoders/registry.ts";
import { planTexts } from "../scripts/extract.ts";
import { aptInstall } from "../scripts/setup.ts";
import { EMBEDDED_PLAN } from "../lib/config.ts";
import { extract } from "../lib/store/extract.ts";
import { hfTextEncoder, hfVisionEncoder } from "../lib/encoders/hf/hf.ts";
import { loadImageFolder } from "../lib/data/paper_datasets.ts";
import { writeTinyTextModel, writeTinyVisionModel } from "./fixtures/tiny_hf.ts";
import { writeClassFolders } from "./fixtures/class_folders.ts";

const BINARIES = ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/sinfo"];
const EXTRACT_ARGS = ["--encoder", "random-word", "--dataset", "fashion-mnist"];

async function sh(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ ok: boolean; out: string }> {
  try {
    const o = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
    return { ok: o.success, out: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr) };
  } catch (err) {
    return { ok: false, out: (err as Error).message };
  }
}

/** Install slurm-wlm and munge with apt when missing; returns why not when they are unusable. */
async function ensureSlurm(): Promise<string | null> {
  if (Deno.uid?.() !== 0) return "not root (starting munged, slurmctld and slurmd needs root)";
  if (BINARIES.every(existsSync)) return null;
  const failure = await aptInstall(["slurm-wlm", "munge"]);
  const missing = BINARIES.filter((b) => !existsSync(b));
  return missing.length ? `slurm-wlm / munge could not be installed (missing ${missing.join(", ")}): ${failure?.message ?? "apt installed no such files"}` : null;
}

/** A free TCP port on localhost. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const why = await ensureSlurm();
if (why) console.warn(`[slurm_test] SKIPPED: ${why}`);

/** A running single-node cluster: its folder and the environment that reaches it (SLURM_CONF). */
interface Cluster {
  dir: string;
  env: Record<string, string>;
  /** Submit a shell command as a 2-task job array and wait for it; returns sbatch's result and each task's log. */
  array(job: string): Promise<{ ok: boolean; out: string; taskLogs: string[] }>;
}

/** Start munged, slurmctld and slurmd for localhost in a temporary folder, run `body`, stop them. */
async function withCluster(body: (c: Cluster) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sharelock-slurm-" });
  await Deno.chmod(dir, 0o755);
  const node = hostname().split(".")[0];
  const [ctlPort, dPort] = [freePort(), freePort()];
  for (const sub of ["state", "spool", "munge"]) await Deno.mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  const key = crypto.getRandomValues(new Uint8Array(1024));
  await Deno.writeFile(join(dir, "munge", "munge.key"), key, { mode: 0o400 });
  const sock = join(dir, "munge", "munge.socket");
  const conf = join(dir, "slurm.conf");
  await Deno.writeTextFile(conf, [
    "ClusterName=sharelocktest",
    `SlurmctldHost=${node}(127.0.0.1)`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    `AuthInfo=socket=${sock}`,
    "CredType=cred/munge",
    `StateSaveLocation=${join(dir, "state")}`,
    `SlurmdSpoolDir=${join(dir, "spool")}`,
    `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
    `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
    `SlurmctldPort=${ctlPort}`,
    `SlurmdPort=${dPort}`,
    `SlurmctldLogFile=${join(dir, "slurmctld.log")}`,
    `SlurmdLogFile=${join(dir, "slurmd.log")}`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/none",
    "SchedulerType=sched/builtin",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    "MpiDefault=none",
    "ReturnToService=2",
    "SlurmdTimeout=30",
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${navigator.hardwareConcurrency} RealMemory=500 State=UNKNOWN`,
    "PartitionName=test Nodes=ALL Default=YES MaxTime=10 State=UP OverSubscribe=YES",
  ].join("\n") + "\n");
  const env = { SLURM_CONF: conf };
  const daemons: Deno.ChildProcess[] = [];
  const start = (cmd: string, args: string[]) => {
    const p = new Deno.Command(cmd, { args, env, stdout: "null", stderr: "null" }).spawn();
    daemons.push(p);
    return p;
  };
  const logs = async () =>
    (await Promise.all(["slurmctld.log", "slurmd.log"].map(async (f) => `--- ${f}\n${(await Deno.readTextFile(join(dir, f)).catch(() => "")).split("\n").slice(-15).join("\n")}`))).join("\n");
  try {
    start("/usr/sbin/munged", [
      "-F", "--force", `--key-file=${join(dir, "munge", "munge.key")}`, `--socket=${sock}`, `--pid-file=${join(dir, "munge", "munged.pid")}`,
      `--log-file=${join(dir, "munge", "munged.log")}`, `--seed-file=${join(dir, "munge", "munged.seed")}`,
    ]);
    for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(sock), "munged did not start");
    start("/usr/sbin/slurmctld", ["-D", "-i", "-f", conf]);
    start("/usr/sbin/slurmd", ["-D", "-N", node, "-f", conf]);
    let state = "";
    for (let i = 0; i < 60; i++) {
      state = (await sh("/usr/bin/sinfo", ["-h", "-o", "%t"], env)).out.trim();
      if (/^(idle|mix|alloc)/.test(state)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(state, /^(idle|mix|alloc)/, `the node did not come up (sinfo: ${state})\n${await logs()}`);
    let n = 0;
    await body({
      dir,
      env,
      async array(job: string) {
        const tag = `job${n++}`;
        const sub = await sh("/usr/bin/sbatch", ["--wait", "--array=0-1", "--ntasks=1", "--cpus-per-task=1", `--output=${join(dir, `${tag}-task-%a.log`)}`, "--wrap", job], env);
        const taskLogs = [0, 1].map((i) => Deno.readTextFileSync(join(dir, `${tag}-task-${i}.log`)));
        return { ok: sub.ok, out: `${sub.out}\n${taskLogs.join("\n")}\n${sub.ok ? "" : await logs()}`, taskLogs };
      },
    });
  } finally {
    for (const p of daemons.reverse()) {
      try {
        p.kill("SIGTERM");
      } catch { /* already gone */ }
      await p.status;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test({ name: `slurm: a 2-task job array of \`deno task extract\` fills one store, equal to a one-process extraction${why ? ` (skipped: ${why})` : ""}`, ignore: why !== null }, async () => {
  await withCluster(async ({ dir, array }) => {
    const store = join(dir, "features"), single = join(dir, "features-single");
    const job = `cd ${REPO_ROOT} && ${Deno.execPath()} task extract ${EXTRACT_ARGS.join(" ")} --root ${store}`;
    const { ok, out, taskLogs } = await array(job);
    assert.ok(ok, `sbatch failed: ${out}`);
    assert.match(taskLogs[0], /\[extract 0\/2\] random-word \/ texts: \d+ computed/);
    assert.match(taskLogs[1], /\[extract 1\/2\] random-word \/ texts: \d+ computed/);
    const computed = taskLogs.map((l) => Number(l.match(/texts: (\d+) computed/)![1]));
    assert.ok(computed.every((n) => n > 0), `both array tasks computed a slice: ${computed}`);

    // the same texts in one process, into another store: equal vectors for every text
    const enc = await languageEncoder("random-word");
    const texts = await planTexts({ ...EMBEDDED_PLAN, textDatasets: ["fashion-mnist"] });
    assert.equal(computed[0] + computed[1], texts.length, "the two tasks split the texts without overlap");
    const items = texts.map((x, i) => ({ id: `text-${i}`, input: x }));
    const ref = await openStore(enc.identity, { name: enc.identity.name, dim: enc.identity.dim, root: single });
    const one = await extract(ref, enc, items, { progress: false });
    assert.equal(one.computed, texts.length);
    const slurm = await openStore(enc.identity, { name: enc.identity.name, dim: enc.identity.dim, root: store });
    const again = await extract(slurm, enc, items, { progress: false });
    assert.equal(again.computed, 0, "the job array left nothing to compute");
    assert.deepEqual(verifyStore(slurm), []);
    assert.deepEqual([...slurm.matrix(again.keys).data], [...ref.matrix(one.keys).data]);
    enc.dispose();
  });
});

Deno.test({ name: `slurm: the documented example, an hf: model over an on-disk dataset as a 2-task job array, equals a one-process extraction${why ? ` (skipped: ${why})` : ""}`, ignore: why !== null }, async () => {
  await withCluster(async ({ dir, array }) => {
    const models = join(dir, "models"), data = join(dir, "data"), store = join(dir, "features"), single = join(dir, "features-single");
    await writeTinyVisionModel(models);
    await writeTinyTextModel(models);
    await writeClassFolders(data, "cub", ["red_cat", "blue_apple", "green_mat"], 4);
    // what a user puts in the batch script (docs/extraction.md, "Sharding on a cluster"), with the fixture models and data
    const job = `cd ${REPO_ROOT} && SHARELOCK_MODELS_DIR=${models} SHARELOCK_DATA_DIR=${data} HF_HUB_OFFLINE=1 SHARELOCK_DEVICE=cpu ` +
      `${Deno.execPath()} task extract --encoder hf:tiny-vision --encoder hf:tiny-text --dataset cub --root ${store}`;
    const { ok, out, taskLogs } = await array(job);
    assert.ok(ok, `sbatch failed: ${out}`);
    const count = (log: string, what: string) => Number(log.match(new RegExp(`${what}: (\\d+) computed`))?.[1] ?? NaN);
    taskLogs.forEach((log, i) => {
      assert.match(log, new RegExp(`\\[extract ${i}/2\\] hf:tiny-vision / cub: \\d+ computed`), `task ${i}:\n${log}`);
      assert.match(log, new RegExp(`\\[extract ${i}/2\\] hf:tiny-text / texts: \\d+ computed`), `task ${i}:\n${log}`);
    });

    const ds = await loadImageFolder(join(data, "cub"), { name: "cub" });
    const images = ds.items.map((it) => ({ id: it.item_id, input: it.image_path! }));
    const texts = (await planTexts({ ...EMBEDDED_PLAN, textDatasets: ["cub"] }, new Map([["cub", ds]]))).map((t, i) => ({ id: `text-${i}`, input: t }));
    assert.equal(taskLogs.reduce((a, l) => a + count(l, "hf:tiny-vision / cub"), 0), images.length, "the tasks split the images without overlap");
    assert.equal(taskLogs.reduce((a, l) => a + count(l, "hf:tiny-text / texts"), 0), texts.length, "and the texts");
    const offline = { localModelPath: models, allowRemote: false, device: "cpu" as const };
    const encoders = [
      { enc: await hfVisionEncoder({ model: "tiny-vision", ...offline }), items: images },
      // named as the registry names it when the command opens `hf:tiny-text` (the paper's pooling for an encoder: mean)
      { enc: await hfTextEncoder({ model: "tiny-text", pooling: "mean", name: "hf:tiny-text:mean", ...offline }), items: texts },
    ];
    for (const { enc, items } of encoders) {
      const ref = await openStore(enc.identity, { name: enc.identity.name, dim: enc.identity.dim, root: single });
      const one = await extract(ref, enc, items, { progress: false });
      assert.equal(one.computed, items.length);
      const slurm = await openStore(enc.identity, { name: enc.identity.name, dim: enc.identity.dim, root: store });
      const again = await extract(slurm, enc, items, { progress: false });
      assert.equal(again.computed, 0, `${enc.identity.name}: the job array left nothing to compute`);
      assert.deepEqual(verifyStore(slurm), []);
      assert.deepEqual([...slurm.matrix(again.keys).data], [...ref.matrix(one.keys).data], `${enc.identity.name}: equal vectors`);
      enc.dispose();
    }
  });
});
