/**
 * The remote a build uses: `[remote]` of the tree, `build --remote REF` over its `ref`,
 * `--no-push` over its `push`; the key files read into key objects. Ed25519 keys only.
 */
import { type KeyObject, createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RemoteConfig } from "../spec/types.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";
import { parseRegistryRef } from "./registry.js";
import type { RemoteSettings } from "./stage-cache.js";

/** Why the remote cannot be used. */
export type RemoteSettingsFailure = FailureOf<"bad-input">;

const KEY_HINT =
  "make a pair with: openssl genpkey -algorithm ed25519 -out remote.key && openssl pkey -in remote.key -pubout -out remote.pub";

function readKey(
  path: string,
  kind: "private" | "public",
): Result<KeyObject, RemoteSettingsFailure> {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (e) {
    return err({
      reason: "bad-input",
      message: `cannot read the ${kind} key ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      hint: KEY_HINT,
    });
  }
  try {
    const key = kind === "private" ? createPrivateKey(text) : createPublicKey(text);
    if (key.asymmetricKeyType !== "ed25519")
      return err({
        reason: "bad-input",
        message: `${path} is a ${String(key.asymmetricKeyType)} key; the remote signs with Ed25519`,
        hint: KEY_HINT,
      });
    return ok(key);
  } catch (e) {
    return err({
      reason: "bad-input",
      message: `${path} is not a PEM ${kind} key: ${e instanceof Error ? e.message : String(e)}`,
      hint: KEY_HINT,
    });
  }
}

/** The settings, or undefined when the build uses no remote. */
export function remoteSettings(
  config: RemoteConfig | undefined,
  override: { readonly ref?: string; readonly noPush?: boolean },
): Result<RemoteSettings | undefined, RemoteSettingsFailure> {
  const text = override.ref ?? config?.ref;
  if (text === undefined) return ok(undefined);
  const ref = parseRegistryRef(text);
  if (!ref.ok) return err({ ...ref.error, reason: "bad-input" });
  let signKey: KeyObject | undefined;
  if (config?.signKey !== undefined) {
    const k = readKey(config.signKey, "private");
    if (!k.ok) return k;
    signKey = k.value;
  }
  const trusted: KeyObject[] = [];
  for (const path of config?.trust ?? []) {
    const k = readKey(path, "public");
    if (!k.ok) return k;
    trusted.push(k.value);
  }
  return ok({
    ref: ref.value,
    push: override.noPush === true ? false : (config?.push ?? true),
    ...(signKey === undefined ? {} : { signKey }),
    trusted,
  });
}
