/**
 * Proof bundles across governance changes (docs/proof-format.md §6a): a chain where a department joins,
 * three validator changes pass and an issuer key is rotated; its bundles carry the governance chain and
 * verify against genesis alone — by the CLI's path and the page's check — and every forgery of the
 * governance chain is refused by the check that catches it.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import type { Genesis } from "../../node/chain/types.js";
import { offlineVerdict } from "../../cli/commands/cert/verify-offline.js";
import type { GovernanceChange, ProofBundle } from "../../node/chain/proof/bundle.js";
import { documentMismatchProven } from "../../node/chain/proof/document.js";
import { DerivedRules, checkGovernanceChain } from "../../node/chain/proof/governance-chain.js";
import { type ProofCheck, verifyBundle, verifyServedBundle } from "../../node/chain/proof/verify.js";
import { EXIT, LedgerError } from "../../node/errors.js";
import { buildGovernanceChain, buildProofBundle } from "../../node/ledger/proof-build.js";
import { type GovProofChain, makeGovProofChain } from "../helpers/gov-proof-chain.js";
import { GOV_FORGERIES } from "../helpers/gov-proof-forgeries.js";
import { makeProofChain } from "../helpers/proof-chain.js";

let g: GovProofChain;
const bundleOf = async (id: string): Promise<ProofBundle> => {
  const b = await buildProofBundle(g.chain.spec, g.store, id);
  assert.ok(b !== null, `bundle of ${id}`);
  return JSON.parse(JSON.stringify(b)) as ProofBundle;
};
const refusedBy = (check: ProofCheck, pattern: RegExp) => (e: unknown) =>
  e instanceof LedgerError && e.code === "PROOF_INVALID" && e.details?.check === check && pattern.test(e.message);

before(async () => {
  g = await makeGovProofChain();
});

describe("proof bundles across governance changes: genesis is enough", () => {
  it("the node carries every passed change in force by the latest block, in the order decided, with proposal and deciding vote", async () => {
    const b = await bundleOf(g.old.certificateId);
    const changes = b.governance as GovernanceChange[];
    assert.deepEqual(
      changes.map((c) => c.proposal.receipt.governance?.proposal),
      [1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      changes.map((c) => [c.decision?.header.height, c.decision?.receipt.governance?.status, c.decision?.receipt.governance?.activatesAt]),
      [
        [2, "passed", 4],
        [4, "passed", 6],
        [7, "passed", 9],
        [9, "passed", 11],
        [12, "passed", 14],
        [12, "passed", 14],
      ],
    );
    assert.equal(b.latest.header.height, 15);
    // A latest block before an activation: that change is not carried.
    assert.equal((await buildGovernanceChain(g.store, 13)).length, 4, "the rotation (in force from 14) is not in force at 13");
  });

  it("a certificate signed by the old key before its revocation, one signed by the new key, one of a department governance added: each verifies with genesis alone (CLI path, page check, document)", async () => {
    const genesis = g.chain.spec.genesis;
    for (const [doc, status, height] of [
      [g.early, "revoked", 1],
      [g.old, "valid", 10],
      [g.rotated, "valid", 14],
      [g.water, "valid", 14],
    ] as const) {
      const b = await bundleOf(doc.certificateId);
      const proven = verifyBundle(b, genesis);
      assert.deepEqual([proven.status, proven.issued.height, proven.governanceChanges, proven.quorum], [status, height, 6, 4], doc.certificateId);
      assert.equal(verifyServedBundle(b, g.chain.spec.chainId).status, status, `${doc.certificateId}: the page's check`);
      assert.equal(offlineVerdict(b, genesis).exitCode, status === "valid" ? EXIT.OK : EXIT.INVALID, `${doc.certificateId}: cert verify --offline`);
      assert.equal(documentMismatchProven(genesis, proven, doc), null, `${doc.certificateId}: the holder's document`);
    }
    const revoked = verifyBundle(await bundleOf(g.early.certificateId), genesis);
    assert.equal(revoked.revoked?.height, 15, "revoked by the new key in block 15");
  });

  it("the derived validator set of every height is the node's own (same functions: no divergence)", async () => {
    const b = await bundleOf(g.old.certificateId);
    const rules = new DerivedRules(g.chain.spec.genesis);
    const ctx = {
      chainId: g.chain.spec.chainId,
      timeLimits: g.chain.spec.timeLimits,
      rules,
      // Headers and inclusion taken as proven (verify.ts checks them): only the governance rules run here.
      provenHeader: (v: unknown) => {
        const header = (v as { header: ProofBundle["latest"]["header"] }).header;
        return { header, point: { height: header.height, time: header.time, blockHash: "" } };
      },
      provenInclusion: (s: Record<string, unknown>) => s.receipt as ProofBundle["events"][number]["receipt"],
    };
    assert.deepEqual(checkGovernanceChain(ctx, b.governance), { changes: 6, lastActivation: 14 });
    for (let h = 1; h <= 16; h++) {
      assert.equal(rules.setAt(h).hash, g.chain.spec.validatorSetAt(h).hash, `set of height ${h}`);
      for (const key of [g.oldKey.publicKey, g.newKey.publicKey]) {
        assert.equal(rules.issuerKeyInForce("market-regulation", key, h), g.chain.spec.issuerKeyInForce("market-regulation", key, h), `key at ${h}`);
      }
    }
    assert.equal(rules.issuerKeyInForce("market-regulation", g.oldKey.publicKey, 13), true, "the old key's last height");
    assert.equal(rules.issuerKeyInForce("market-regulation", g.oldKey.publicKey, 14), false);
    assert.deepEqual(
      [4, 6, 9, 11].map((h) => rules.setAt(h).size),
      [4, 5, 4, 5],
    );
    assert.equal(rules.setAt(9).has(g.removed), false);
  });

  it("a bundle of a chain without governance has no governance member", async () => {
    const pc = await makeProofChain();
    const b = await buildProofBundle(pc.chain.spec, pc.store, pc.valid.certificateId);
    assert.ok(b !== null && !("governance" in b));
    assert.deepEqual(Object.keys(b), ["format", "chainId", "genesisHash", "genesis", "certificateId", "events", "latest", "state"]);
  });

  it("without its governance chain a bundle after a validator change is refused (what version 1 could not prove)", async () => {
    const b = await bundleOf(g.old.certificateId);
    delete b.governance;
    assert.throws(() => verifyBundle(b, g.chain.spec.genesis), refusedBy("header", /^event 0: block names another validator set$/), "issued at block 10");
    const early = await bundleOf(g.early.certificateId);
    delete early.governance;
    assert.throws(() => verifyBundle(early, g.chain.spec.genesis), refusedBy("header", /^event 1: block names another validator set$/), "revoked at block 15");
  });

  it("an issuer key added by governance needs its change: left out, the new key's certificate is refused", async () => {
    const b = await bundleOf(g.rotated.certificateId);
    (b.governance as GovernanceChange[]).splice(4, 1);
    assert.throws(
      () => verifyBundle(b, g.chain.spec.genesis),
      refusedBy("transaction", /^event 0: signer is not an issuer key of market-regulation in force at block 14$/),
    );
  });

  it("what cannot be detected: an omitted change that names no validator (the old key's revocation) leaves the sets as they were", async () => {
    // The headers pin only the validator set; the revocation's absence changes no header, so the bundle of a
    // certificate the old key signed before it still verifies. The chain itself refused every later use of the
    // old key (its receipts, by a quorum), so no bundle can hold one to exploit the gap.
    const b = await bundleOf(g.old.certificateId);
    (b.governance as GovernanceChange[]).splice(5, 1);
    assert.equal(verifyBundle(b, g.chain.spec.genesis).status, "valid");
  });
});

describe("forged governance chains are refused (test/helpers/gov-proof-forgeries.ts)", () => {
  for (const [name, forge, check, pattern] of GOV_FORGERIES) {
    it(`${name} → ${check}`, async () => {
      const b = await bundleOf(g.old.certificateId);
      verifyBundle(b, g.chain.spec.genesis);
      forge(b, g);
      assert.throws(() => verifyBundle(b, g.chain.spec.genesis), refusedBy(check, pattern));
      assert.throws(() => verifyServedBundle(b, g.chain.spec.chainId), refusedBy(check, pattern), "the page's check");
      assert.equal(offlineVerdict(b, g.chain.spec.genesis).exitCode, EXIT.INVALID, "cert verify --offline");
    });
  }
});

describe("the governance vectors of docs/vectors/governance-vectors.json (scripts/governance-vectors.mjs)", () => {
  interface Vector {
    name: string;
    bundle: ProofBundle;
    expect: { status?: string; governanceChanges?: number; refused?: ProofCheck; message?: string };
  }
  it("every genuine bundle proves its status through its changes and every forged one is refused by its check, by the CLI path and the page's check", async () => {
    const text = await readFile(new URL("../../../docs/vectors/governance-vectors.json", import.meta.url), "utf8");
    const file = JSON.parse(text) as { genesis: Genesis; vectors: Vector[] };
    let forged = 0;
    for (const v of file.vectors) {
      if (v.expect.status !== undefined) {
        const proven = verifyBundle(v.bundle, file.genesis);
        assert.deepEqual([proven.status, proven.governanceChanges], [v.expect.status, v.expect.governanceChanges], v.name);
        assert.equal(verifyServedBundle(v.bundle, v.bundle.chainId).status, v.expect.status, `${v.name}: the page's check`);
        continue;
      }
      const refused = refusedBy(v.expect.refused as ProofCheck, new RegExp(`^${escapeRegExp(v.expect.message as string)}$`));
      assert.throws(() => verifyBundle(v.bundle, file.genesis), refused, v.name);
      assert.equal(offlineVerdict(v.bundle, file.genesis).exitCode, EXIT.INVALID, `${v.name}: cert verify --offline`);
      assert.throws(() => verifyServedBundle(v.bundle, v.bundle.chainId), refused, `${v.name}: the page's check`);
      forged++;
    }
    assert.equal(forged, GOV_FORGERIES.length, "one forged vector per forgery class");
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
