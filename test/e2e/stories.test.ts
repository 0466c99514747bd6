/**
 * The mission's stories on four real validators (libp2p + LevelDB, in-process, default genesis with
 * the review rules), driven through the `certchain` CLI and the RPC: a citizen's identity proof; a
 * home-purchase qualification approved automatically, and one refused for a holder without an
 * identity proof; an enterprise's business licence naming its legal representative; a revocation;
 * expiry by block time; a renewal superseding the old certificate. After each story every node
 * gives the same answer, byte for byte (status is computed at the latest block's time).
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { webcrypto } from "node:crypto";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { digest } from "@sd-jwt/crypto-nodejs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../cli/main.js";
import type { CliIo } from "../../cli/io.js";
import { DEFAULT_REVIEW_RULES } from "../helpers/chain.js";
import { type CertificateDocument, issuePayloadFor } from "../../node/chain/document.js";
import { newSalt } from "../../node/ledger/fresh.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { signTx } from "../../node/chain/tx.js";
import { newTxEnvelope } from "../../node/ledger/fresh.js";
import type { IssueTxBody, Receipt, ReviewRuleSet, Transaction } from "../../node/chain/types.js";
import { loadKeyFile } from "../../node/keys/key-file.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import type { CertificateView } from "../../node/api/views.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const N = 4;

/** An Ed25519 verifier of WebCrypto for a public key of genesis (hex), as any JOSE library builds one from a JWK. */
async function webcryptoVerifier(publicKeyHex: string): Promise<(data: string, signature: string) => Promise<boolean>> {
  const jwk = { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKeyHex, "hex").toString("base64url") };
  const key = await webcrypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["verify"]);
  return async (data, signature) => webcrypto.subtle.verify({ name: "Ed25519" }, key, Buffer.from(signature, "base64url"), new TextEncoder().encode(data));
}
/**
 * The default rules, with the qualification's identity rule declaring automatic suspension
 * (chain/suspension.ts); the licence's identity rule keeps the default (flagged only).
 */
const STORIES_RULES: ReviewRuleSet = {
  version: `${DEFAULT_REVIEW_RULES.version}-suspend`,
  rules: DEFAULT_REVIEW_RULES.rules.map((r) => (r.id === "qualification-holder-identity" ? { ...r, onBasisRevoked: "suspend" as const } : r)),
};
const VERSION = STORIES_RULES.version;

describe("e2e: the mission's stories on 4 validators", function () {
  this.timeout(120_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  const nodes: CertchainNode[] = [];
  const url = (i: number): string => net.nodes[i]?.rpcUrl as string;
  const keyOf = (department: string): string => net.issuers.find((k) => k.department === department)?.keyFile as string;
  const file = (name: string): string => join(dir, name);

  /** Run the CLI in-process against node `i` (this network's issuer keys are plaintext: --key needs --plaintext-keys). */
  async function cli(i: number, argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {} };
    const code = await runCli([...argv, ...(argv.includes("--key") ? ["--plaintext-keys"] : []), "--rpc", url(i)], io);
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  /** `cert issue|renew … --json` on node `i`: the result, with the transaction's receipt. */
  async function issueWithCli(i: number, argv: string[]): Promise<{ certificateId: string; receipt: Receipt }> {
    const r = await cli(i, [...argv, "--json"]);
    assert.equal(r.code, 0, `${argv.slice(0, 2).join(" ")}: ${r.err}`);
    const result = JSON.parse(r.out) as { certificateId: string; txHash: string };
    const tx = await rpc<{ receipt: Receipt }>(url(i), `/txs/${result.txHash}`);
    return { certificateId: result.certificateId, receipt: tx.body.receipt };
  }

  /** Wait until every node has the same head; its height. */
  async function sameHead(): Promise<number> {
    let height = 0;
    await waitFor("every node at the same head", async () => {
      const heads = await Promise.all(nodes.map((_, i) => rpc<{ head: { height: number; hash: string } }>(url(i), "/status")));
      height = heads[0]?.body.head.height ?? 0;
      return heads.every((h) => h.body.head.hash === heads[0]?.body.head.hash);
    });
    return height;
  }

  /** The certificate as every node answers it: the same JSON everywhere. */
  async function everyNode(id: string): Promise<CertificateView> {
    const height = await sameHead();
    const answers = await Promise.all(nodes.map((_, i) => rpc<CertificateView>(url(i), `/certificates/${id}`)));
    // Everything but the age of the newest block, which each node gives by its own clock.
    const sameEverywhere = (v: CertificateView | undefined): unknown => {
      if (v === undefined) return v;
      const { freshness, warning, ...rest } = v;
      assert.equal(freshness?.newestBlockHeight, height, `${id}: freshness of the shared head`);
      assert.equal(warning, undefined, `${id}: a live chain is fresh`);
      return rest;
    };
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 200, `node ${i + 1}: ${id}`);
      assert.deepEqual(sameEverywhere(a.body), sameEverywhere(answers[0]?.body), `node ${i + 1} answers ${id} like node 1`);
    }
    const view = answers[0]?.body as CertificateView;
    assert.equal(view.checkedAtHeight, height, "status is as of the head block");
    return view;
  }

  /** Sign and submit an issue built here (for validity periods the CLI does not offer). */
  async function submitIssue(i: number, doc: CertificateDocument, department: string): Promise<string> {
    const key = await loadKeyFile(keyOf(department), { allowPlaintext: true });
    const body: IssueTxBody = { ...newTxEnvelope(spec.chainId, department, key.publicKey, Date.now()), kind: "issue", payload: issuePayloadFor(spec, doc) };
    const tx: Transaction = signTx(body, key.privateKey);
    const sent = await rpc<{ hash: string }>(url(i), "/txs", { body: tx });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await waitFor("commit", async () => (await rpc<{ status: string }>(url(i), `/txs/${sent.body.hash}`)).body.status === "committed");
    return sent.body.hash;
  }

  before(async () => {
    setLogLevel("warn");
    dir = await mkdtemp(join(tmpdir(), "certchain-stories-"));
    net = await initNetwork({
      dir,
      keys: { plaintext: true },
      validators: N,
      chainName: "stories",
      host: "127.0.0.1",
      basePort: await freeBasePort(N),
      genesisTime: Date.now() - 1000,
      consensus: { roundTimeoutMs: 1000 },
      reviewRules: STORIES_RULES,
    });
    spec = await loadGenesis(net.genesisFile);
    assert.equal(spec.reviewRules?.version, VERSION, "init writes the review rules into genesis");
    for (let i = 0; i < N; i++) nodes.push(await startNode({ home: net.nodes[i]?.home as string, plaintextKeys: true }));
    await waitFor("full mesh", async () => {
      for (let i = 0; i < N; i++) if ((await rpc<{ peers: { connected: number } }>(url(i), "/status")).body.peers.connected < N - 1) return false;
      return true;
    });
  });

  after(async () => {
    for (const n of nodes) await n.close();
    setLogLevel("info");
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const citizenId = ["--holder-name", "张三 Zhang San", "--holder-id-type", "resident-id", "--holder-id", "110101199003070011"];
  const qualificationFields = ["--field", "city=Hangzhou", "--field", "householdType=family", "--field", "maxHomes=1"];
  const licenceFields = [
    ...["--field", "enterpriseName=Hangzhou Example Tech Co., Ltd.", "--field", "unifiedSocialCreditCode=91330100MA2XXXXX1X"],
    ...["--field", "enterpriseType=Limited liability company", "--field", "address=1 Example Road, Hangzhou", "--field", "legalRepresentative=Zhang San"],
  ];
  const enterprise = ["--holder-name", "Hangzhou Example Tech Co., Ltd.", "--holder-id-type", "uscc", "--holder-id", "91330100MA2XXXXX1X"];
  let qualificationId = "";
  let licenceId = "";
  let identityId = "";
  let renewedId = "";

  it("a citizen gets an identity proof from public security", async () => {
    const { certificateId, receipt } = await issueWithCli(0, [
      ...["cert", "issue", "--type", "identity-proof", ...citizenId, "--field", "dateOfBirth=1990-03-07"],
      ...["--key", keyOf("public-security"), "--out", file("citizen-identity.json")],
    ]);
    assert.deepEqual([receipt.status, receipt.code, receipt.review], ["applied", "REVIEW_APPROVED", { version: VERSION, passed: [] }]);
    identityId = certificateId;
    const view = await everyNode(certificateId);
    assert.equal(view.status, "valid");
  });

  it("housing approves the citizen's home-purchase qualification automatically (the holder is the identity proof's commitment)", async () => {
    const { certificateId, receipt } = await issueWithCli(1, [
      ...["cert", "issue", "--type", "home-purchase-qualification", "--holder-document", file("citizen-identity.json"), ...qualificationFields],
      ...["--key", keyOf("housing"), "--out", file("qualification.json")],
    ]);
    assert.equal(receipt.code, "REVIEW_APPROVED");
    assert.deepEqual(receipt.review, { version: VERSION, passed: ["qualification-holder-identity", "qualification-one-per-holder"] });
    qualificationId = certificateId;
    assert.equal((await everyNode(certificateId)).status, "valid");
  });

  it("the qualification is also an SD-JWT VC: only its city presented, checked by the CLI and by the @sd-jwt libraries; every validator serves one status list", async () => {
    const errors: string[] = [];
    const io: CliIo = { out: () => {}, err: (l) => errors.push(l), env: {} };
    const presented = await runCli(
      ["cert", "present", "--sd-jwt", file("qualification.sd-jwt"), "--disclose", "fields.city", "--out", file("city.sd-jwt")],
      io,
    );
    assert.equal(presented, 0, errors.join("\n"));
    const checked = await cli(2, ["cert", "verify", "--sd-jwt", file("city.sd-jwt"), "--genesis", net.genesisFile]);
    assert.equal(checked.code, 0, checked.out);
    assert.match(checked.out, new RegExp(`^VALID: ${qualificationId} home-purchase-qualification issued by housing`));
    assert.match(checked.out, /fields\.city = "Hangzhou"/);
    assert.doesNotMatch(checked.out, /Zhang San|householdType|holder\./, "nothing else disclosed");

    // The libraries alone: keys from genesis, the status list fetched from the URI in the credential.
    const presentation = (await readFile(file("city.sd-jwt"), "utf8")).trim();
    const housingKey = spec.department("housing")?.issuerKeys[0] as string;
    const uriNode = spec.validators.findIndex((v) => v.name === net.nodes[1]?.name);
    assert.ok(uriNode >= 0, "the issuing node is a validator");
    const sdjwt = new SDJwtVcInstance({
      hasher: digest,
      hashAlg: "sha-256",
      verifier: await webcryptoVerifier(housingKey),
      statusVerifier: await webcryptoVerifier(spec.validators[uriNode]?.publicKey as string),
    });
    const { payload } = await sdjwt.verify(presentation);
    assert.deepEqual((payload as unknown as { fields: unknown }).fields, { city: "Hangzhou" });
    assert.equal(payload.status?.status_list.uri, `${url(1)}/status-lists/housing`, "the list of the node the issuer used");

    // Every validator derives the same list from the chain; only the signer (kid) differs.
    await sameHead();
    const lists = await Promise.all(nodes.map((_, i) => fetch(`${url(i)}/status-lists/housing`)));
    const tokens = await Promise.all(lists.map((r) => r.text()));
    for (const [i, r] of lists.entries()) {
      assert.equal(r.headers.get("content-type"), "application/statuslist+jwt", `node ${i + 1}`);
      const claims = JSON.parse(Buffer.from(tokens[i]?.split(".")[1] as string, "base64url").toString("utf8")) as Record<string, unknown>;
      const first = JSON.parse(Buffer.from(tokens[0]?.split(".")[1] as string, "base64url").toString("utf8")) as Record<string, unknown>;
      assert.deepEqual([claims.status_list, claims.certchain], [first.status_list, first.certchain], `node ${i + 1} serves node 1's list`);
    }
  });

  it("refuses a qualification for a holder without an identity proof, with its reason code, on every node", async () => {
    const stranger = ["--holder-name", "李四 Li Si", "--holder-id-type", "resident-id", "--holder-id", "110101199504040022"];
    const refused = await cli(2, [
      "cert",
      "issue",
      "--type",
      "home-purchase-qualification",
      ...stranger,
      ...qualificationFields,
      "--key",
      keyOf("housing"),
      "--out",
      file("refused.json"),
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /no identity-proof valid at block time/);
    await assert.rejects(access(file("refused.json")), "no document is kept for a refused certificate");
    // The same refusal, with its code, from every node's admission (what a block's receipt would say).
    const doc: CertificateDocument = {
      version: 1,
      chainId: spec.chainId,
      certificateId: "HPQ-STRANGER-0001",
      certificateType: "home-purchase-qualification",
      department: "housing",
      holder: { name: "李四 Li Si", idType: "resident-id", idNumber: "110101199504040022" },
      holderSalt: newSalt(),
      fields: { city: "Hangzhou", householdType: "single", maxHomes: 1 },
      validFrom: Date.now(),
      validUntil: Date.now() + 90 * 86_400_000,
    };
    const key = await loadKeyFile(keyOf("housing"), { allowPlaintext: true });
    const tx = signTx(
      { ...newTxEnvelope(spec.chainId, "housing", key.publicKey, Date.now()), kind: "issue", payload: issuePayloadFor(spec, doc) },
      key.privateKey,
    );
    for (let i = 0; i < N; i++) {
      const r = await rpc<{ error: { code: string; message: string } }>(url(i), "/txs", { body: tx });
      assert.deepEqual([r.status, r.body.error.code], [422, "REVIEW_NO_IDENTITY_PROOF"], `node ${i + 1}: ${r.body.error.message}`);
      assert.match(r.body.error.message, new RegExp(`review ${VERSION} rule qualification-holder-identity`));
    }
    // A second qualification for the citizen is a duplicate.
    const again = await cli(3, [
      ...["cert", "issue", "--type", "home-purchase-qualification", "--holder-document", file("citizen-identity.json"), ...qualificationFields],
      ...["--key", keyOf("housing"), "--out", file("duplicate.json")],
    ]);
    assert.notEqual(again.code, 0);
    assert.match(again.err, /already holds a valid home-purchase-qualification/);
  });

  it("an enterprise gets a business licence naming the citizen as legal representative; without one it is refused", async () => {
    const { certificateId, receipt } = await issueWithCli(2, [
      ...["cert", "issue", "--type", "business-licence", ...enterprise, ...licenceFields],
      ...["--link", `legalRepresentative=${file("citizen-identity.json")}`, "--key", keyOf("market-regulation"), "--out", file("licence.json")],
    ]);
    assert.deepEqual(receipt.review, { version: VERSION, passed: ["licence-representative-identity"] });
    licenceId = certificateId;
    const view = await everyNode(certificateId);
    assert.equal(view.status, "valid");
    assert.match(view.record.links?.legalRepresentative ?? "", /^[0-9a-f]{64}$/, "the link is a commitment, not a name");
    const unlinked = await cli(3, [
      "cert",
      "issue",
      "--type",
      "business-licence",
      ...enterprise,
      ...licenceFields,
      "--key",
      keyOf("market-regulation"),
      "--out",
      file("x.json"),
    ]);
    assert.notEqual(unlinked.code, 0);
    assert.match(unlinked.err, /names no link legalRepresentative/);
  });

  it("market regulation revokes the licence; every node says revoked", async () => {
    const exported = await cli(1, [
      "cert",
      "export",
      "--id",
      licenceId,
      "--document",
      file("licence.json"),
      "--key",
      keyOf("market-regulation"),
      "--out",
      file("licence-again.sd-jwt"),
    ]);
    assert.equal(exported.code, 0, exported.err);
    const before = await cli(3, ["cert", "verify", "--sd-jwt", file("licence-again.sd-jwt"), "--genesis", net.genesisFile]);
    assert.equal(before.code, 0, `cert export writes a credential that verifies: ${before.out}`);
    const foreign = await cli(1, [
      "cert",
      "export",
      "--id",
      licenceId,
      "--document",
      file("licence.json"),
      "--key",
      keyOf("housing"),
      "--out",
      file("x.sd-jwt"),
    ]);
    assert.notEqual(foreign.code, 0, "another department's key exports nothing");
    const r = await cli(3, ["cert", "revoke", "--id", licenceId, "--reason", "business closed", "--key", keyOf("market-regulation")]);
    assert.equal(r.code, 0, r.err);
    const view = await everyNode(licenceId);
    assert.deepEqual([view.status, view.revoked?.reason], ["revoked", "business closed"]);
    const credential = await cli(0, ["cert", "verify", "--sd-jwt", file("licence.sd-jwt"), "--genesis", net.genesisFile]);
    assert.equal(credential.code, 3, "the licence's SD-JWT VC is refused: its status list entry flipped");
    assert.match(credential.out, /revoked or superseded \(status list entry \d+ is 1/);
  });

  it("a certificate expires by block time: valid until a block after its validUntil is committed, then expired everywhere", async () => {
    const now = Date.now();
    const doc: CertificateDocument = {
      version: 1,
      chainId: spec.chainId,
      certificateId: "IP-SHORT-0001",
      certificateType: "identity-proof",
      department: "public-security",
      holder: { name: "王五 Wang Wu", idType: "resident-id", idNumber: "110101198808080033" },
      holderSalt: newSalt(),
      fields: { dateOfBirth: "1988-08-08" },
      // The chain's shortest validity is an hour (genesis minValidityMs): one that ends in 2.5 s.
      validFrom: now + 2500 - 3_600_000,
      validUntil: now + 2500,
    };
    await submitIssue(0, doc, "public-security");
    assert.equal((await everyNode(doc.certificateId)).status, "valid");
    await waitFor("the wall clock passes validUntil", () => Date.now() > doc.validUntil + 200, 10_000);
    const idle = await everyNode(doc.certificateId);
    assert.ok(idle.checkedAt < doc.validUntil, "no block since: the latest block's time is before validUntil");
    assert.equal(idle.status, "valid", "status follows block time, not each node's clock");
    // Any later block moves the chain's time past validUntil.
    await submitIssue(
      1,
      {
        ...doc,
        certificateId: "AA-TICK-0001",
        certificateType: "administrative-approval",
        department: "government-services",
        fields: { matter: "Street stall", decisionNumber: "HZ-2026-7", applicant: "Wang Wu" },
        validFrom: Date.now(),
        validUntil: Date.now() + 86_400_000,
      },
      "government-services",
    );
    const later = await everyNode(doc.certificateId);
    assert.ok(later.checkedAt >= doc.validUntil);
    assert.equal(later.status, "expired");
    const verdict = await rpc<{ valid: boolean; status: string }>(url(3), `/verify/${doc.certificateId}`);
    assert.deepEqual([verdict.body.valid, verdict.body.status], [false, "expired"]);
  });

  it("housing renews the qualification: the new one supersedes the old, linked both ways, on every node", async () => {
    const { certificateId, receipt } = await issueWithCli(3, [
      ...["cert", "renew", "--document", file("qualification.json"), "--field", "maxHomes=2"],
      ...["--key", keyOf("housing"), "--out", file("qualification-renewed.json")],
    ]);
    assert.equal(receipt.code, "REVIEW_APPROVED", "the unique-qualification rule excepts the certificate being renewed");
    renewedId = certificateId;
    const old = await everyNode(qualificationId);
    const renewed = await everyNode(certificateId);
    assert.deepEqual([old.status, old.record.supersededBy, old.superseded?.by], ["superseded", certificateId, certificateId]);
    assert.deepEqual([renewed.status, renewed.record.supersedes, renewed.record.publicFields.maxHomes], ["valid", qualificationId, 2]);
    assert.equal(renewed.record.holderCommitment, old.record.holderCommitment, "same holder");
    const stale = await cli(0, ["cert", "renew", "--document", file("qualification.json"), "--key", keyOf("housing"), "--out", file("again.json")]);
    assert.notEqual(stale.code, 0);
    assert.match(stale.err, /superseded at block time/);
    const verify = await cli(1, ["cert", "verify", "--id", qualificationId]);
    assert.equal(verify.code, 3, "a superseded certificate is not valid");
    assert.match(verify.out, /superseded/);
    const oldVc = await cli(2, ["cert", "verify", "--sd-jwt", file("qualification.sd-jwt"), "--genesis", net.genesisFile]);
    assert.equal(oldVc.code, 3, "nor its SD-JWT VC");
    const newVc = await cli(2, ["cert", "verify", "--sd-jwt", file("qualification-renewed.sd-jwt"), "--genesis", net.genesisFile]);
    assert.equal(newVc.code, 0, `the renewal's SD-JWT VC: ${newVc.out}`);
  });

  it("revoking the identity proof flags the qualification approved on it, on every node, and its rule suspends it in that block, with a receipt", async () => {
    // A second licence naming the citizen: its rule declares nothing, so it is only flagged.
    const { certificateId: licence2 } = await issueWithCli(2, [
      ...["cert", "issue", "--type", "business-licence", ...enterprise, ...licenceFields],
      ...["--link", `legalRepresentative=${file("citizen-identity.json")}`, "--key", keyOf("market-regulation"), "--out", file("licence2.json")],
    ]);
    const before = await everyNode(renewedId);
    assert.deepEqual(before.basis, [{ rule: "qualification-holder-identity", id: identityId, certificateType: "identity-proof", status: "valid" }]);
    assert.equal(before.basisRevoked, false);
    const r = await cli(0, ["cert", "revoke", "--id", identityId, "--reason", "forged papers", "--key", keyOf("public-security")]);
    assert.equal(r.code, 0, r.err);
    const revokeHash = /transaction {2}([0-9a-f]{64})/.exec(r.out)?.[1] as string;
    assert.match(
      r.out,
      new RegExp(`suspended {4}${renewedId} \\(rule qualification-holder-identity, basis ${identityId}\\)`),
      "cert revoke names what it suspended",
    );
    const after = await everyNode(renewedId);
    assert.deepEqual(
      [after.status, after.basisRevoked, after.basis?.[0]?.status, after.suspended?.basis, after.suspended?.rule, after.suspended?.txHash],
      ["suspended", true, "revoked", identityId, "qualification-holder-identity", revokeHash],
      "the qualification is suspended in the revoking block, flagged",
    );
    const licence = await everyNode(licence2);
    assert.deepEqual([licence.status, licence.basisRevoked], ["valid", true], "a rule without the declaration only flags");
    // The revocation's receipt names the suspension, on every node.
    for (const [i] of nodes.entries()) {
      const tx = await rpc<{ height: number; receipt: Receipt }>(url(i), `/txs/${revokeHash}`);
      assert.deepEqual(
        tx.body.receipt.suspended,
        [{ certificateId: renewedId, rule: "qualification-holder-identity", basis: identityId }],
        `node ${i + 1}: receipt`,
      );
      assert.equal(tx.body.height, after.suspended?.height, `node ${i + 1}: same block`);
    }
    const verify = await cli(3, ["cert", "verify", "--id", renewedId]);
    assert.equal(verify.code, 3, "a suspended certificate is not valid");
    assert.match(verify.out, new RegExp(`suspended automatically: ${identityId} .*basis revoked: ${identityId} \\(identity-proof\\)`));
    const history = await cli(1, ["cert", "history", "--id", renewedId]);
    assert.match(history.out, new RegExp(`suspend .*${revokeHash}  basis ${identityId} revoked \\(rule qualification-holder-identity\\)`));
    // Its proof bundle proves the suspension offline.
    const bundle = await rpc<unknown>(url(1), `/certificates/${renewedId}/proof`);
    await writeFile(file("suspended-proof.json"), JSON.stringify(bundle.body));
    const offline = await cli(1, ["cert", "verify", "--offline", file("suspended-proof.json"), "--genesis", net.genesisFile]);
    assert.equal(offline.code, 3, offline.out);
    assert.match(offline.out, new RegExp(`NOT VALID: suspended at block ${after.suspended?.height}: ${identityId}`));
    const page = await fetch(`${url(2)}/verify/${renewedId}`, { headers: { accept: "text/html" } });
    const html = await page.text();
    assert.match(html, /data-basis-status="revoked"[\s\S]*basis revoked/);
    assert.match(html, new RegExp(`data-suspended-basis="${identityId}"`));
    const vc = await cli(2, ["cert", "verify", "--sd-jwt", file("qualification-renewed.sd-jwt"), "--genesis", net.genesisFile]);
    assert.equal(vc.code, 3, `its SD-JWT VC: ${vc.out}`);
    assert.match(vc.out, /is suspended \(status list entry \d+ is 2/);
    const audit = await cli(0, ["audit"]);
    assert.equal(audit.code, 0, `${audit.out}\n${audit.err}`);
    assert.match(audit.out, /OK, consistent/);
    assert.match(audit.out, /1 automatic suspensions replayed/);
  });
});
