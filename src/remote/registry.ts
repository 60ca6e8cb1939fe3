/**
 * A small client for the OCI distribution API (what Docker's registry, Zot, Harbor, GHCR and
 * Quay serve): manifests and blobs by digest, monolithic uploads, anonymous or basic
 * credentials and the bearer-token handshake. Blobs stream to and from files, and every blob
 * read is checked against its digest before it is handed on: a registry is storage, not a
 * source of trust.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { pipeline } from "node:stream/promises";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/** Why a registry operation failed. */
export type RegistryFailure = FailureOf<
  "http-error" | "download-failed" | "digest-mismatch" | "bad-input" | "cancelled"
>;

/** Where a registry lives and which repository prefix the tree uses in it. */
export interface RegistryRef {
  /** `http:` or `https:`. */
  readonly protocol: "http:" | "https:";
  /** `host[:port]`. */
  readonly host: string;
  /** The repository prefix (`team/roflmaos`), lower case; may be empty. */
  readonly prefix: string;
  /** As the user wrote it, for messages. */
  readonly text: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Parses `REF` as `[http://|https://]host[:port][/prefix]`. Without a scheme, `localhost` and
 * `127.*` addresses use plain HTTP (as Docker and Podman allow), everything else HTTPS.
 */
export function parseRegistryRef(text: string): Result<RegistryRef, RegistryFailure> {
  const bad = (why: string): { ok: false; error: RegistryFailure } =>
    err({
      reason: "bad-input",
      message: `remote "${text}" is not a registry reference: ${why}`,
      hint: 'write host[:port]/prefix, e.g. "127.0.0.1:5000/roflmaos" or "ghcr.io/team/stages"',
    });
  let rest = text.trim();
  let protocol: RegistryRef["protocol"] | undefined;
  const scheme = /^(https?):\/\//.exec(rest);
  if (scheme !== null) {
    protocol = scheme[1] === "http" ? "http:" : "https:";
    rest = rest.slice(scheme[0].length);
  } else if (/^[a-z]+:\/\//i.test(rest)) return bad("only http:// and https:// are registries");
  rest = rest.replace(/\/+$/, "");
  const slash = rest.indexOf("/");
  const host = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? "" : rest.slice(slash + 1);
  if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(host) && !/^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/.test(host))
    return bad(`"${host}" is not a host name with an optional port`);
  if (prefix !== "" && !prefix.split("/").every((c) => COMPONENT.test(c)))
    return bad(
      `"${prefix}" is not a repository path (lower-case letters, digits and . _ - between them)`,
    );
  const hostname = host.replace(/:\d+$/, "");
  const local = hostname === "localhost" || /^127\./.test(hostname) || hostname === "[::1]";
  return ok({ protocol: protocol ?? (local ? "http:" : "https:"), host, prefix, text });
}

/** Makes a repository name component out of any text (lower case, allowed separators only). */
export function repositoryComponent(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[._-]+$/g, "")
    .replace(/([._-])[._-]+/g, "$1");
  return s === "" ? "x" : s;
}

/** A blob or manifest reference in a manifest. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** `sha256:<hex>` of a buffer. */
export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** `sha256:<hex>` and size of a file, streamed. */
export async function fileDigest(path: string): Promise<{ digest: string; size: number }> {
  const h = createHash("sha256");
  await pipeline(createReadStream(path), h);
  return { digest: `sha256:${h.digest("hex")}`, size: statSync(path).size };
}

/** How long a connection may stay silent before the request fails. */
const IDLE_TIMEOUT_MS = 30_000;

interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

/** The parameters of a `WWW-Authenticate: Bearer realm=…,service=…,scope=…` challenge. */
export function parseBearerChallenge(header: string): Record<string, string> | undefined {
  const m = /^\s*Bearer\s+(.*)$/i.exec(header);
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z]+)="([^"]*)"/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[1] ?? "")) !== null) params[(p[1] ?? "").toLowerCase()] = p[2] ?? "";
  return params["realm"] === undefined ? undefined : params;
}

/** Credentials from the environment: `SUBSTRATE_REGISTRY_USER` and `SUBSTRATE_REGISTRY_PASSWORD`. */
function basicCredentials(): string | undefined {
  const user = process.env["SUBSTRATE_REGISTRY_USER"];
  const password = process.env["SUBSTRATE_REGISTRY_PASSWORD"];
  if (user === undefined || password === undefined) return undefined;
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** The distribution API of one registry. */
export class Registry {
  private token: string | undefined;

  constructor(
    readonly ref: RegistryRef,
    private readonly signal?: AbortSignal,
  ) {}

  private url(path: string): URL {
    return new URL(`${this.ref.protocol}//${this.ref.host}${path}`);
  }

  /** One HTTP exchange; `bodyFile` streams a file as the body, `toFile` the answer into a file. */
  private exchange(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body?: { readonly data?: Buffer; readonly file?: string },
    toFile?: string,
  ): Promise<HttpAnswer> {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const h: Record<string, string> = { ...headers };
      if (body?.data !== undefined) h["Content-Length"] = String(body.data.length);
      if (body?.file !== undefined) h["Content-Length"] = String(statSync(body.file).size);
      const req = send(
        url,
        { method, headers: h, ...(this.signal === undefined ? {} : { signal: this.signal }) },
        (res) => {
          const status = res.statusCode ?? 0;
          if (toFile !== undefined && status >= 200 && status < 300) {
            pipeline(res, createWriteStream(toFile)).then(
              () => {
                resolve({ status, headers: res.headers, body: Buffer.alloc(0) });
              },
              (e: unknown) => {
                reject(e instanceof Error ? e : new Error(String(e)));
              },
            );
            return;
          }
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            resolve({ status, headers: res.headers, body: Buffer.concat(chunks) });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      // A registry that stops answering (not a slow download: the limit is on silence).
      req.setTimeout(IDLE_TIMEOUT_MS, () => {
        req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`));
      });
      if (body?.file !== undefined) {
        pipeline(createReadStream(body.file), req).catch((e: unknown) => {
          reject(e instanceof Error ? e : new Error(String(e)));
        });
      } else req.end(body?.data);
    });
  }

  /** An exchange with authentication: answers a 401 once (bearer token or basic), follows redirects. */
  private async call(
    method: string,
    path: string,
    opts: {
      readonly headers?: Record<string, string>;
      readonly body?: { readonly data?: Buffer; readonly file?: string };
      readonly toFile?: string;
      readonly scope?: string;
    } = {},
  ): Promise<Result<HttpAnswer, RegistryFailure>> {
    let url = path.startsWith("http") ? new URL(path) : this.url(path);
    for (let attempt = 0; attempt < 6; attempt++) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const auth = this.token ?? basicCredentials();
      // Credentials go to the registry only, never to where it redirects (blob storage).
      if (auth !== undefined && url.host === this.ref.host) headers["Authorization"] = auth;
      let answer: HttpAnswer;
      try {
        answer = await this.exchange(method, url, headers, opts.body, opts.toFile);
      } catch (e) {
        if (this.signal?.aborted === true)
          return err({ reason: "cancelled", message: `cancelled: ${method} ${url.href}` });
        return err({
          reason: "download-failed",
          message: `${method} ${url.href}: ${e instanceof Error ? e.message : String(e)}`,
          hint: `is the registry at ${this.ref.protocol}//${this.ref.host} running and reachable?`,
        });
      }
      if (answer.status === 401 && this.token === undefined) {
        const challenge = parseBearerChallenge(answer.headers["www-authenticate"] ?? "");
        if (challenge !== undefined) {
          const t = await this.fetchToken(challenge, opts.scope);
          if (!t.ok) return t;
          this.token = `Bearer ${t.value}`;
          continue;
        }
      }
      if ([301, 302, 303, 307, 308].includes(answer.status)) {
        const location = answer.headers["location"];
        if (location === undefined) break;
        url = new URL(location, url);
        continue;
      }
      return ok(answer);
    }
    return err({
      reason: "http-error",
      url: url.href,
      message: `${method} ${url.href}: too many redirects or authentication rounds`,
    });
  }

  private async fetchToken(
    challenge: Record<string, string>,
    scope: string | undefined,
  ): Promise<Result<string, RegistryFailure>> {
    const realm = new URL(challenge["realm"] ?? "");
    if (challenge["service"] !== undefined) realm.searchParams.set("service", challenge["service"]);
    const wanted = scope ?? challenge["scope"];
    if (wanted !== undefined) realm.searchParams.set("scope", wanted);
    const basic = basicCredentials();
    let answer: HttpAnswer;
    try {
      answer = await this.exchange(
        "GET",
        realm,
        basic === undefined ? {} : { Authorization: basic },
      );
    } catch (e) {
      return err({
        reason: "download-failed",
        message: `token from ${realm.origin}: ${e instanceof Error ? e.message : String(e)}`,
        hint: "check the registry's token service",
      });
    }
    if (answer.status !== 200)
      return err({
        reason: "http-error",
        url: realm.href,
        message: `the registry's token service answered ${answer.status}`,
      });
    try {
      const body = JSON.parse(answer.body.toString("utf8")) as {
        token?: string;
        access_token?: string;
      };
      const token = body.token ?? body.access_token;
      if (typeof token === "string") return ok(token);
    } catch {
      // fall through
    }
    return err({
      reason: "http-error",
      url: realm.href,
      message: "the token service's answer has no token",
    });
  }

  private httpError(
    what: string,
    path: string,
    a: HttpAnswer,
  ): { ok: false; error: RegistryFailure } {
    const text = a.body.toString("utf8").slice(0, 300).trim();
    return err({
      reason: "http-error",
      url: this.url(path).href,
      message: `${what}: HTTP ${a.status}${text === "" ? "" : ` (${text})`}`,
    });
  }

  /** The manifest at `repo:reference`, checked against the digest the registry states; undefined when absent. */
  async getManifest(
    repo: string,
    reference: string,
    accept: readonly string[],
  ): Promise<Result<{ bytes: Buffer; digest: string } | undefined, RegistryFailure>> {
    const path = `/v2/${repo}/manifests/${reference}`;
    const a = await this.call("GET", path, {
      headers: { Accept: accept.join(", ") },
      scope: `repository:${repo}:pull`,
    });
    if (!a.ok) return a;
    if (a.value.status === 404) return ok(undefined);
    if (a.value.status !== 200)
      return this.httpError(`manifest ${repo}:${reference}`, path, a.value);
    const digest = sha256Digest(a.value.body);
    const stated = a.value.headers["docker-content-digest"];
    if (typeof stated === "string" && stated !== digest)
      return err({
        reason: "digest-mismatch",
        message: `manifest ${repo}:${reference} is ${digest}, the registry says ${stated}`,
        hint: "the registry's storage is damaged or was changed",
      });
    if (reference.startsWith("sha256:") && reference !== digest)
      return err({
        reason: "digest-mismatch",
        message: `manifest ${repo}@${reference} has the digest ${digest}`,
        hint: "the registry's storage is damaged or was changed",
      });
    return ok({ bytes: a.value.body, digest });
  }

  /** True when `repo:reference` names a manifest (a HEAD request). */
  async hasManifest(
    repo: string,
    reference: string,
    accept: readonly string[],
  ): Promise<Result<boolean, RegistryFailure>> {
    const path = `/v2/${repo}/manifests/${reference}`;
    const a = await this.call("HEAD", path, {
      headers: { Accept: accept.join(", ") },
      scope: `repository:${repo}:pull`,
    });
    if (!a.ok) return a;
    if (a.value.status === 200) return ok(true);
    if (a.value.status === 404) return ok(false);
    return this.httpError(`manifest ${repo}:${reference}`, path, a.value);
  }

  /** Downloads a blob into `dest` (through `<dest>.part`) and checks its digest and size. */
  async getBlob(repo: string, d: Descriptor, dest: string): Promise<Result<void, RegistryFailure>> {
    const path = `/v2/${repo}/blobs/${d.digest}`;
    const part = `${dest}.part`;
    rmSync(part, { force: true });
    const a = await this.call("GET", path, { toFile: part, scope: `repository:${repo}:pull` });
    if (!a.ok) {
      rmSync(part, { force: true });
      return a;
    }
    if (a.value.status !== 200) {
      rmSync(part, { force: true });
      return this.httpError(`blob ${d.digest}`, path, a.value);
    }
    const got = await fileDigest(part);
    if (got.digest !== d.digest || got.size !== d.size) {
      rmSync(part, { force: true });
      return err({
        reason: "digest-mismatch",
        message: `blob ${d.digest} of ${repo} (${d.annotations?.["org.opencontainers.image.title"] ?? d.mediaType}) arrived as ${got.digest}, ${got.size} bytes (expected ${d.size})`,
        hint: "the registry's copy is damaged or was changed; it is not used",
      });
    }
    renameSync(part, dest);
    return ok(undefined);
  }

  /** True when the registry has the blob. */
  async hasBlob(repo: string, digest: string): Promise<Result<boolean, RegistryFailure>> {
    const path = `/v2/${repo}/blobs/${digest}`;
    const a = await this.call("HEAD", path, { scope: `repository:${repo}:pull,push` });
    if (!a.ok) return a;
    if (a.value.status === 200) return ok(true);
    if (a.value.status === 404) return ok(false);
    return this.httpError(`blob ${digest}`, path, a.value);
  }

  /**
   * Uploads a blob (a file or bytes) unless the registry has it already (`force` uploads it
   * anyway). Returns the bytes sent.
   */
  async putBlob(
    repo: string,
    digest: string,
    source: { readonly data?: Buffer; readonly file?: string },
    force = false,
  ): Promise<Result<number, RegistryFailure>> {
    if (!force) {
      const has = await this.hasBlob(repo, digest);
      if (!has.ok) return has;
      if (has.value) return ok(0);
    }
    const start = `/v2/${repo}/blobs/uploads/`;
    const s = await this.call("POST", start, {
      body: { data: Buffer.alloc(0) },
      scope: `repository:${repo}:pull,push`,
    });
    if (!s.ok) return s;
    const location = s.value.headers["location"];
    if (s.value.status !== 202 || location === undefined)
      return this.httpError(`starting an upload to ${repo}`, start, s.value);
    const target = new URL(location, this.url(start));
    target.searchParams.set("digest", digest);
    const p = await this.call("PUT", target.href, {
      headers: { "Content-Type": "application/octet-stream" },
      body: source,
      scope: `repository:${repo}:pull,push`,
    });
    if (!p.ok) return p;
    if (p.value.status !== 201)
      return this.httpError(`uploading ${digest} to ${repo}`, start, p.value);
    return ok(source.data?.length ?? (source.file === undefined ? 0 : statSync(source.file).size));
  }

  /** Stores a manifest under `reference` (a tag). */
  async putManifest(
    repo: string,
    reference: string,
    mediaType: string,
    bytes: Buffer,
  ): Promise<Result<void, RegistryFailure>> {
    const path = `/v2/${repo}/manifests/${reference}`;
    const a = await this.call("PUT", path, {
      headers: { "Content-Type": mediaType },
      body: { data: bytes },
      scope: `repository:${repo}:pull,push`,
    });
    if (!a.ok) return a;
    if (a.value.status !== 201 && a.value.status !== 200)
      return this.httpError(`manifest ${repo}:${reference}`, path, a.value);
    return ok(undefined);
  }
}
