/**
 * SD-JWT VCs and status lists (docs/sd-jwt-vc.md), checked by an independent verifier: the @sd-jwt
 * libraries from npm with Ed25519 verifiers of WebCrypto built from the keys of genesis — none of
 * certchain's own verification code. Then certchain's own `cert verify --sd-jwt` check, on the same
 * credentials and on forgeries.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { getListFromStatusListJWT } from "@sd-jwt/jwt-status-list";
import { digest } from "@sd-jwt/crypto-nodejs";
import type { CertificateDocument } from "../../node/chain/document.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { EXIT } from "../../node/errors.js";
import { StatusListService } from "../../node/rpc/status-list.js";
import { generateKeyPair } from "../../node/keys/key-file.js";
import { createRpcServer } from "../../node/rpc/server.js";
import { inflateSync } from "node:zlib";
import { base64urlBytes, bytesToBase64url, checkPresentation, checkStatusListToken, statusEntry } from "../../node/chain/sd-jwt.js";
import { StoreBackend } from "../helpers/store-backend.js";
import { issueCredential, presentCredential, vctOf } from "../../cli/commands/cert/sd-jwt-vc.js";
import { presentationFrame } from "../../cli/commands/cert/present.js";
import { verifySdJwtPresentation } from "../../cli/commands/cert/verify-sd-jwt.js";
import { DAY, T0, type TestChain, documentFor, issueTx, makeTestChain, person, revokeTx } from "../helpers/chain.js";
import { commitNext } from "../helpers/proof-chain.js";

const BASE = "https://certs.example.gov.cn";
const NOW = T0 + 2 * DAY;
const TYPES = ["identity-proof", "business-licence", "home-purchase-qualification", "administrative-approval"] as const;

/** An Ed25519 verifier of WebCrypto for one public key (hex), as any JOSE library would build it from a JWK. */
async function webcryptoVerifier(publicKeyHex: string): Promise<(data: string, signature: string) => Promise<boolean>> {
  const jwk = { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKeyHex, "hex").toString("base64url") };
  const key = await webcrypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["verify"]);
  return async (data, signature) => webcrypto.subtle.verify({ name: "Ed25519" }, key, Buffer.from(signature, "base64url"), new TextEncoder().encode(data));
}

/** The independent verifier of one department's credentials, status lists fetched from `lists`. */
async function independentVerifier(chain: TestChain, department: string, validator: number, lists: Map<string, string>): Promise<SDJwtVcInstance> {
  const issuerKey = chain.spec.department(department)?.issuerKeys[0] as string;
  return new SDJwtVcInstance({
    hasher: digest,
    hashAlg: "sha-256",
    verifier: await webcryptoVerifier(issuerKey),
    statusVerifier: await webcryptoVerifier(chain.validatorKeys[validator]?.publicKey as string),
    statusListFetcher: async (uri) => {
      const token = lists.get(uri);
      if (token === undefined) throw new Error(`no list at ${uri}`);
      return token;
    },
  });
}

interface Issued {
  doc: CertificateDocument;
  credential: string;
  uri: string;
  idx: number;
}

describe("SD-JWT VC and Token Status List", function () {
  this.timeout(30_000);
  let chain: TestChain;
  let store: MemoryStore;
  let lists: StatusListService;
  const issued = new Map<string, Issued>();
  const tokens = new Map<string, string>();

  /** Fetch every department's current token, as a node serves it. */
  async function refreshTokens(): Promise<void> {
    for (const d of chain.spec.genesis.departments) {
      const uri = `${BASE}/status-lists/${d.id}`;
      tokens.set(uri, await lists.token(d.id, uri));
    }
  }

  before(async () => {
    chain = makeTestChain(4, "sd-jwt-chain");
    store = new MemoryStore();
    lists = new StatusListService(chain.spec, store, chain.validatorKeys[1] as { publicKey: string; privateKey: string });
    const li = person("Li Si", "110101199001011234");
    // Two licences first, so the qualification's and licence's entries are not all 0.
    const docs = [
      documentFor(chain, "business-licence", li),
      ...TYPES.map((t) =>
        documentFor(chain, t, li, t === "home-purchase-qualification" ? { fields: { city: "Hangzhou", householdType: "family", maxHomes: 1 } } : {}),
      ),
    ];
    await commitNext(
      chain,
      store,
      docs.slice(0, 3).map((d) => issueTx(chain, d)),
      T0 + DAY,
    );
    await commitNext(
      chain,
      store,
      docs.slice(3).map((d) => issueTx(chain, d)),
      T0 + DAY + 60_000,
    );
    const positions = new Map<string, number>();
    for (const doc of docs) {
      const idx = positions.get(doc.department) ?? 0;
      positions.set(doc.department, idx + 1);
      const uri = `${BASE}/status-lists/${doc.department}`;
      const key = chain.issuers.get(doc.department) as { publicKey: string; privateKey: string };
      issued.set(doc.certificateId, { doc, credential: await issueCredential(doc, key, { idx, uri }, NOW), uri, idx });
    }
    await refreshTokens();
  });

  const ofType = (type: string): Issued => [...issued.values()].filter((i) => i.doc.certificateType === type).pop() as Issued;

  it("issues a credential of each of the four types that the @sd-jwt libraries verify, facts in the clear, the rest disclosable", async () => {
    for (const type of TYPES) {
      const { doc, credential, idx, uri } = ofType(type);
      const verifier = await independentVerifier(chain, doc.department, 1, tokens);
      const { payload, header } = await verifier.verify(credential, { currentDate: NOW / 1000 });
      assert.equal(header?.typ, "dc+sd-jwt", type);
      assert.equal(header?.alg, "EdDSA", type);
      assert.equal(payload.vct, vctOf(type), type);
      assert.deepEqual(payload.status, { status_list: { idx, uri } }, type);
      const p = payload as unknown as Record<string, unknown>;
      assert.equal(p.certificate_id, doc.certificateId, type);
      assert.equal(p.department, doc.department, type);
      assert.equal(payload.exp, Math.floor(doc.validUntil / 1000), type);
      assert.deepEqual(p.holder, doc.holder, `${type}: the full credential discloses the holder`);
      assert.deepEqual(p.fields, doc.fields, `${type}: and every field`);
      // Disclosable: neither the holder's name nor any field value is in the issuer-signed JWT itself.
      const jwt = Buffer.from((credential.split("~")[0] as string).split(".")[1] as string, "base64url").toString("utf8");
      assert.ok(!jwt.includes(doc.holder.name) && !jwt.includes(doc.holder.idNumber), `${type}: the holder is not in the clear`);
      for (const v of Object.values(doc.fields)) assert.ok(typeof v !== "string" || !jwt.includes(v), `${type}: field value ${v} is not in the clear`);
      assert.ok(jwt.includes(doc.certificateId), `${type}: the id is in the clear`);
    }
  });

  it("verifies a presentation of a home-purchase qualification that discloses only the city", async () => {
    const { doc, credential } = ofType("home-purchase-qualification");
    const presentation = await presentCredential(credential, presentationFrame(["fields.city"]));
    assert.equal(presentation.split("~").filter((part) => part !== "").length, 2, "the JWT and one disclosure");
    const verifier = await independentVerifier(chain, doc.department, 1, tokens);
    const { payload } = await verifier.verify(presentation, { currentDate: NOW / 1000 });
    const p = payload as unknown as { fields: Record<string, unknown>; holder: Record<string, unknown> };
    assert.deepEqual(p.fields, { city: "Hangzhou" });
    assert.deepEqual(p.holder, {}, "no member of the holder is disclosed");

    const ours = await verifySdJwtPresentation(presentation, chain.spec, async (uri) => tokens.get(uri) as string, NOW);
    assert.equal(ours.exitCode, EXIT.OK, ours.line);
    assert.deepEqual(ours.disclosed, { "fields.city": "Hangzhou" });
  });

  it("refuses a tampered disclosure, a credential signed by another department, and a status list not signed by a validator", async () => {
    const { doc, credential } = ofType("home-purchase-qualification");
    const presentation = await presentCredential(credential, { fields: { city: true } });
    const [jwt, disclosure] = presentation.split("~") as [string, string];
    const [salt, name] = JSON.parse(Buffer.from(disclosure, "base64url").toString("utf8")) as [string, string, string];
    const forged = Buffer.from(JSON.stringify([salt, name, "Beijing"]), "utf8").toString("base64url");
    const tampered = `${jwt}~${forged}~`;
    // @sd-jwt/core 0.19 skips a disclosure no digest references (RFC 9901 §7.1 says reject): the
    // forged value is never disclosed by it, and certchain's check refuses the presentation outright.
    const verifier = await independentVerifier(chain, doc.department, 1, tokens);
    const { payload } = await verifier.verify(tampered, { currentDate: NOW / 1000 });
    assert.deepEqual((payload as unknown as { fields: unknown }).fields, {}, "the @sd-jwt verifier does not believe the forged city");
    const ours = await verifySdJwtPresentation(tampered, chain.spec, async (uri) => tokens.get(uri) as string, NOW);
    assert.equal(ours.exitCode, EXIT.INVALID, "certchain refuses it");
    assert.match(ours.line, /disclosure 1 is referenced by no digest/);

    // Signed by the licence department's key while naming housing: refused against genesis.
    const wrongKey = chain.issuers.get("market-regulation") as { publicKey: string; privateKey: string };
    const byOther = await issueCredential(doc, wrongKey, { idx: 0, uri: `${BASE}/status-lists/housing` }, NOW);
    const other = await verifySdJwtPresentation(byOther, chain.spec, async (uri) => tokens.get(uri) as string, NOW);
    assert.equal(other.exitCode, EXIT.INVALID, other.line);

    // A status list signed by a key outside genesis: refused.
    const rogue = new StatusListService(chain.spec, store, generateKeyPair());
    const rogueToken = await rogue.token("housing", `${BASE}/status-lists/housing`);
    const r = await verifySdJwtPresentation(presentation, chain.spec, async () => rogueToken, NOW);
    assert.equal(r.exitCode, EXIT.INVALID, r.line);
    assert.match(r.line, /Status List JWT verification failed/);
  });

  it("flips the status list entry when the certificate is revoked, the same on every validator", async () => {
    const { doc, credential, idx, uri } = ofType("home-purchase-qualification");
    const before = tokens.get(uri) as string;
    assert.equal(getListFromStatusListJWT(before).getStatus(idx), 0);
    await commitNext(chain, store, [revokeTx(chain, doc.certificateId, "housing", "false statement")], T0 + DAY + 120_000);
    await refreshTokens();
    const after = tokens.get(uri) as string;
    const list = getListFromStatusListJWT(after);
    assert.equal(list.getStatus(idx), 1, "revoked = 1");
    const licence = ofType("business-licence");
    assert.equal(getListFromStatusListJWT(tokens.get(licence.uri) as string).getStatus(licence.idx), 0, "the others stay 0");

    const verifier = await independentVerifier(chain, doc.department, 1, tokens);
    await assert.rejects(verifier.verify(credential, { currentDate: NOW / 1000 }), /Status is not valid/);
    const ours = await verifySdJwtPresentation(credential, chain.spec, async (u) => tokens.get(u) as string, NOW);
    assert.equal(ours.exitCode, EXIT.INVALID);
    assert.match(ours.line, /revoked or superseded/);

    // Another validator derives the same list from the same chain: only the signature differs.
    const other = await new StatusListService(chain.spec, store, chain.validatorKeys[2] as { publicKey: string; privateKey: string }).token("housing", uri);
    assert.equal(other.split(".")[1], after.split(".")[1], "same payload");
    assert.notEqual(other.split(".")[0], after.split(".")[0], "another kid");
  });

  it("GET /status-lists/:department: the token on a validator; 404 saying why on a follower; 404 for an unknown department", async () => {
    const follower = new StoreBackend(chain.spec, store, () => NOW);
    const validator = Object.assign(new StoreBackend(chain.spec, store, () => NOW), {
      statusListToken: (department: string, uri: string) => lists.token(department, uri),
    });
    for (const [backend, expected] of [
      [validator, 200],
      [follower, 404],
    ] as const) {
      const app = createRpcServer({ publicUrl: BASE }, { backend });
      try {
        const res = await app.inject({ method: "GET", url: "/status-lists/housing" });
        assert.equal(res.statusCode, expected, res.body);
        if (expected === 200) {
          assert.equal(res.headers["content-type"], "application/statuslist+jwt");
          assert.equal(res.body, tokens.get(`${BASE}/status-lists/housing`), "the token whose sub is the public URL's");
        } else assert.match(res.body, /follower/);
        assert.equal((await app.inject({ method: "GET", url: "/status-lists/no-such" })).statusCode, 404);
        assert.equal((await app.inject({ method: "GET", url: "/status-lists/Bad_Id" })).statusCode, 400);
      } finally {
        await app.close();
      }
    }
  });

  it("the page's pure check (node/chain/sd-jwt.ts) agrees with the @sd-jwt libraries on every credential, presentation and forgery", async () => {
    for (const bytes of [[], [0], [255, 1], [1, 2, 3], [250, 251, 252, 253]]) {
      const b = Uint8Array.from(bytes);
      assert.equal(bytesToBase64url(b), Buffer.from(b).toString("base64url"), `base64url of ${bytes}`);
      assert.deepEqual([...base64urlBytes(Buffer.from(b).toString("base64url"))], bytes, `round trip of ${bytes}`);
    }
    for (const { doc, credential, idx, uri } of issued.values()) {
      const what = `${doc.certificateType} ${doc.certificateId}`;
      const checked = checkPresentation(chain.spec, credential, NOW);
      assert.ok(checked.ok, `${what}: ${checked.ok ? "" : checked.reason}`);
      assert.deepEqual(
        [checked.certificateId, checked.certificateType, checked.department, checked.status],
        [doc.certificateId, doc.certificateType, doc.department, { idx, uri }],
        what,
      );
      assert.equal(checked.disclosed["holder.name"], doc.holder.name, what);
      const token = tokens.get(uri) as string;
      const list = checkStatusListToken(chain.spec, token, doc.department);
      assert.ok(list.ok, what);
      assert.equal(
        statusEntry(inflateSync(list.compressed), list.bits, idx),
        getListFromStatusListJWT(token).getStatus(idx),
        `${what}: the same entry as @sd-jwt/jwt-status-list`,
      );
      assert.equal(checkStatusListToken(chain.spec, token, "public-security").ok, doc.department === "public-security", `${what}: another department's list`);
    }
    const { credential } = ofType("home-purchase-qualification");
    const city = await presentCredential(credential, { fields: { city: true } });
    const checked = checkPresentation(chain.spec, city, NOW);
    assert.deepEqual(checked.ok ? checked.disclosed : checked.reason, { "fields.city": "Hangzhou" });
    const [jwt, disclosure] = city.split("~") as [string, string];
    const [salt] = JSON.parse(Buffer.from(disclosure, "base64url").toString("utf8")) as [string];
    const forged = `${jwt}~${Buffer.from(JSON.stringify([salt, "city", "Beijing"])).toString("base64url")}~`;
    const refusals: Array<[string, string, number, RegExp]> = [
      ["tampered disclosure", forged, NOW, /referenced by no digest/],
      ["signature byte changed", `${jwt.slice(0, -2)}${jwt.endsWith("AA") ? "BA" : "AA"}~`, NOW, /signature does not verify/],
      ["expired", city, ofType("home-purchase-qualification").doc.validUntil + 1, /expired/],
      ["not a presentation", jwt, NOW, /not an SD-JWT presentation/],
    ];
    for (const [what, presentation, at, reason] of refusals) {
      const r = checkPresentation(chain.spec, presentation, at);
      assert.ok(!r.ok && reason.test(r.reason), `${what}: ${r.ok ? "accepted" : r.reason}`);
    }
    const rogue = await new StatusListService(chain.spec, store, generateKeyPair()).token("housing", `${BASE}/status-lists/housing`);
    const r = checkStatusListToken(chain.spec, rogue, "housing");
    assert.ok(!r.ok && /not signed by a validator/.test(r.reason));
  });

  it("cert present's --disclose paths: holder, fields and links members only", () => {
    assert.deepEqual(presentationFrame(["fields.city", "holder.name", "fields.maxHomes"]), { fields: { city: true, maxHomes: true }, holder: { name: true } });
    assert.deepEqual(presentationFrame([]), {});
    for (const bad of ["city", "status.idx", "fields.", "fields.a.b", "vct.x"]) {
      assert.throws(() => presentationFrame([bad]), /--disclose takes holder\.NAME, fields\.NAME or links\.NAME/, bad);
    }
  });
});
