/**
 * Proof routes: `GET /certificates/:id/proof` (the proof bundle, docs/proof-format.md), `GET
 * /verify/:id` (JSON for API clients; the HTML verification page when the client prefers text/html),
 * and the page's static files under /verify-assets: its stylesheet, the compiled verifier modules
 * (only those the page imports) and the @noble modules from node_modules — no CDN.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { ASSETS_PATH, BROWSER_BINDINGS, PAGE_CSP, PAGE_ENTRY, renderVerifyPage } from "../page/page-html.js";
import { PAGE_CSS } from "../page/page-style.js";
import { chainIdentity } from "../../chain/proof/verify.js";
import type { RpcBackend } from "../backend.js";
import { httpError, notFound, sendHttpError } from "../http-errors.js";
import { nobleModuleSchema, pageCssSchema, pageModuleSchema, proofSchema, verifyByIdSchema } from "../route-schemas.js";
import type { WorkLimit } from "../work-limit.js";

/** The compiled output's root (this file is dist/node/rpc/routes/proof.js). */
const DIST_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SAFE_PATH = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*\.js$/;

/**
 * The page's module graph: the entry and every relative import, transitively (read once), with the
 * browser twin of each crypto binding in place of the Node one. Only these files are served, so the
 * route cannot be used to read the rest of dist/.
 */
function moduleClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const imported = todo.pop() as string;
    const path = BROWSER_BINDINGS.get(imported) ?? imported;
    if (seen.has(path)) continue;
    seen.add(path);
    const source = readFileSync(join(DIST_ROOT, path), "utf8");
    for (const m of source.matchAll(/(?:from|import)\s*"(\.\.?\/[^"]+)"/g)) todo.push(posix.normalize(posix.join(posix.dirname(path), m[1] as string)));
  }
  return seen;
}

/** Directory of an installed package, found through one of its exported modules. */
function packageDir(module: string): string {
  return dirname(createRequire(import.meta.url).resolve(module));
}

/** True when the client prefers HTML to JSON (a browser), by the Accept header's q-values. */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let html = 0;
  let json = 0;
  for (const part of accept.split(",")) {
    const [type = "", ...params] = part.trim().toLowerCase().split(";");
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith("q="))
        ?.slice(2) ?? "1",
    );
    const weight = Number.isFinite(q) ? q : 0;
    if (type === "text/html") html = Math.max(html, weight);
    if (type === "application/json") json = Math.max(json, weight);
  }
  return html > json;
}

async function sendModule(reply: FastifyReply, file: string): Promise<FastifyReply> {
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch {
    return sendHttpError(reply, httpError("NOT_FOUND", "no such asset"));
  }
  return reply.type("text/javascript; charset=utf-8").header("cache-control", "no-cache").header("x-content-type-options", "nosniff").send(source);
}

export interface ProofRouteOptions {
  /** The base of the page's own link (rpc.publicUrl or the listen address). */
  publicUrl: () => string;
}

/** Register the proof routes on the RPC server. */
export function registerProofRoutes(app: FastifyInstance, backend: RpcBackend, reads: WorkLimit, options: ProofRouteOptions): void {
  const pageModules = moduleClosure(PAGE_ENTRY);
  // A Map, not an object: a package named "constructor" or "__proto__" must be unknown, not Object's.
  const noble = new Map<string, string>([
    ["curves", packageDir("@noble/curves/ed25519.js")],
    ["hashes", packageDir("@noble/hashes/sha2.js")],
  ]);

  app.get<{ Params: { id: string } }>("/certificates/:id/proof", { schema: proofSchema }, async (req, reply) => {
    const build = backend.proofBundle?.bind(backend);
    const bundle = build === undefined ? null : await reads.run(() => build(req.params.id));
    if (bundle === null) return sendHttpError(reply, notFound(`certificate ${req.params.id}`));
    // An unknown id: 404, and the body proves the absence (a bundle without events, docs/proof-format.md §7).
    return bundle.events.length === 0 ? reply.code(404).send(bundle) : bundle;
  });

  // JSON stays the answer for API clients; a browser (Accept prefers text/html) gets the page.
  app.get<{ Params: { id: string } }>("/verify/:id", { schema: verifyByIdSchema }, async (req, reply) => {
    const verification = await reads.run(() => backend.verifyById(req.params.id));
    if (!prefersHtml(req.headers.accept)) return verification;
    const genesis = backend.genesis();
    const html = renderVerifyPage({ certificateId: req.params.id, verification, genesis, ...chainIdentity(genesis), publicUrl: options.publicUrl() });
    return reply
      .code(verification.certificate === undefined ? 404 : 200)
      .type("text/html; charset=utf-8")
      .header("content-security-policy", PAGE_CSP)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .header("vary", "accept")
      .send(html);
  });

  app.get(`${ASSETS_PATH}/page.css`, { schema: pageCssSchema }, async (_req, reply) =>
    reply.type("text/css; charset=utf-8").header("cache-control", "no-cache").send(PAGE_CSS),
  );

  app.get<{ Params: { "*": string } }>(`${ASSETS_PATH}/app/*`, { schema: pageModuleSchema }, async (req, reply) => {
    const path = req.params["*"];
    if (!pageModules.has(path)) return sendHttpError(reply, notFound(`asset ${path.slice(0, 100)}`));
    return sendModule(reply, join(DIST_ROOT, path));
  });

  app.get<{ Params: { pkg: string; "*": string } }>(`${ASSETS_PATH}/noble/:pkg/*`, { schema: nobleModuleSchema }, async (req, reply) => {
    const dir = noble.get(req.params.pkg);
    const path = req.params["*"];
    if (dir === undefined || !SAFE_PATH.test(path) || path.split("/").some((s) => s.startsWith("."))) {
      return sendHttpError(reply, notFound(`asset ${path.slice(0, 100)}`));
    }
    return sendModule(reply, join(dir, path));
  });
}
