/**
 * What every task does first: check every `SHARELOCK_*` variable (`lib/runtime/env.ts`, listed in
 * docs/configuration.md). A bad one stops the task with exit status 1 and a message naming each bad
 * variable, its value and the allowed values (no stack trace: it is a setting, not a bug).
 *
 * @example
 * ```ts
 * const settings = checkEnvOrExit("report");
 * console.log(settings.cacheDir);
 * ```
 */
import { checkEnvironment, EnvError, type Settings } from "../lib/runtime/env.ts";

/** The checked settings, or exit 1 after printing what is wrong (`task` names the command in the message). */
export function checkEnvOrExit(task: string, env: Record<string, string | undefined> = Deno.env.toObject()): Settings {
  try {
    return checkEnvironment(env);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    console.error(`${task}: ${err.message}`);
    Deno.exit(1);
  }
}
