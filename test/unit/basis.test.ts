/**
 * What a review decision rested on (chain/basis.ts): the certificates that satisfied each
 * requires-valid rule at a certificate's issue, with their status now, derived from chain state.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { approvalBasis } from "../../node/chain/basis.js";
import type { CertificateRecord } from "../../node/chain/types.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { verdictOf, withBasis, certificateView } from "../../node/rpc/certificate-view.js";
import { DAY, DEFAULT_REVIEW_RULES, T0, documentFor, issueTx, makeTestChain, person, revokeTx } from "../helpers/chain.js";
import { commitNext } from "../helpers/proof-chain.js";

describe("approval basis", () => {
  it("names the identity proofs valid at a qualification's issue, flags one revoked later, ignores earlier-revoked and later ones", async () => {
    const chain = makeTestChain(4, "basis-chain", { reviewRules: DEFAULT_REVIEW_RULES });
    const store = new MemoryStore();
    const zhang = person("Zhang San", "110101199003070011");
    const stale = documentFor(chain, "identity-proof", zhang, { id: "IP-STALE-0001" });
    const proof = documentFor(chain, "identity-proof", zhang, { id: "IP-VALID-0001" });
    const qualification = documentFor(chain, "home-purchase-qualification", zhang, { id: "HPQ-BASIS-0001" });
    const later = documentFor(chain, "identity-proof", zhang, { id: "IP-LATER-0001" });
    const licence = documentFor(chain, "business-licence", zhang, { id: "BL-NOBASIS-01", links: { legalRepresentative: zhang.commitment } });
    await commitNext(chain, store, [issueTx(chain, stale)], T0 + DAY);
    await commitNext(chain, store, [revokeTx(chain, stale.certificateId, "public-security", "replaced"), issueTx(chain, proof)], T0 + DAY + 60_000);
    await commitNext(chain, store, [issueTx(chain, qualification), issueTx(chain, licence)], T0 + DAY + 120_000);
    await commitNext(chain, store, [issueTx(chain, later)], T0 + DAY + 180_000);
    const record = (await store.getCertificate(qualification.certificateId)) as CertificateRecord;
    const now = T0 + 2 * DAY;

    assert.deepEqual(await approvalBasis(chain.spec, record, store, now), [
      { rule: "qualification-holder-identity", id: proof.certificateId, certificateType: "identity-proof", status: "valid" },
    ]);
    const licenceRecord = (await store.getCertificate(licence.certificateId)) as CertificateRecord;
    assert.deepEqual(
      (await approvalBasis(chain.spec, licenceRecord, store, now)).map((b) => [b.rule, b.id]),
      [["licence-representative-identity", proof.certificateId]],
    );
    const proofRecord = (await store.getCertificate(proof.certificateId)) as CertificateRecord;
    assert.equal(
      (await withBasis(chain.spec, certificateView(chain.spec, proofRecord, { time: now, height: 4 }), store)).basis,
      undefined,
      "no rule reviews identity proofs",
    );

    await commitNext(chain, store, [revokeTx(chain, proof.certificateId, "public-security", "forged papers")], T0 + DAY + 240_000);
    const view = await withBasis(chain.spec, certificateView(chain.spec, record, { time: now, height: 5 }), store);
    assert.deepEqual([view.status, view.basisRevoked, view.basis?.[0]?.status], ["valid", true, "revoked"], "the qualification stands, flagged");
    const verdict = verdictOf(view);
    assert.equal(verdict.valid, true);
    assert.match(verdict.reason, /basis revoked: IP-VALID-0001 \(identity-proof\)/);
  });
});
