/**
 * Automatic suspension (chain/suspension.ts): a requires-valid rule that declares
 * `onBasisRevoked: "suspend"` suspends, in the revoking block, what its approval rested on — in a
 * defined order, in cascade, with the revocation's receipt naming each suspension. Table-driven over
 * rule sets; every case also checks the receipts hash the same on a second, independent execution.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { resultsRoot } from "../../node/chain/block.js";
import { reviewRulesProblem } from "../../node/chain/rules.js";
import { executeBlock } from "../../node/chain/state.js";
import { MAX_SUSPENSIONS_PER_TX } from "../../node/chain/suspension.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { CertificateRecord, Receipt, ReviewRule, ReviewRuleSet, Transaction } from "../../node/chain/types.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { certificateView, verdictOf, withBasis } from "../../node/rpc/certificate-view.js";
import { auditChain } from "../../node/audit/auditor.js";
import { storeSource } from "../../node/audit/source.js";
import { verifyBundle } from "../../node/chain/proof/verify.js";
import { buildProofBundle } from "../../node/ledger/proof-build.js";
import { STATUS_SUSPENDED, departmentStatuses } from "../../node/rpc/status-list.js";
import { offlineVerdict } from "../../cli/commands/cert/verify-offline.js";
import { DAY, DEFAULT_REVIEW_RULES, T0, type TestChain, documentFor, issueTx, makeTestChain, person, revokeTx } from "../helpers/chain.js";
import { commitNext, makeSuspensionChain } from "../helpers/proof-chain.js";

const SUSPEND = { onBasisRevoked: "suspend" } as const;

/** The default rules with `declare` ids declaring suspension, plus `extra` rules. */
function rules(declare: string[], extra: ReviewRule[] = []): ReviewRuleSet {
  return {
    version: "test-suspend",
    rules: [...DEFAULT_REVIEW_RULES.rules.map((r) => (declare.includes(r.id) && r.kind === "requires-valid" ? { ...r, ...SUSPEND } : r)), ...extra],
  };
}

/** A licence whose legal representative must hold a valid qualification (to make a two-level cascade). */
const LICENCE_NEEDS_QUALIFICATION: ReviewRule = {
  id: "licence-representative-qualification",
  kind: "requires-valid",
  certificateType: "business-licence",
  subject: { link: "legalRepresentative" },
  requiredType: "home-purchase-qualification",
  code: "REVIEW_PREREQUISITE_MISSING",
  ...SUSPEND,
};

const statusOf = async (chain: TestChain, store: MemoryStore, id: string, at: number): Promise<string> => {
  const record = (await store.getCertificate(id)) as CertificateRecord;
  return certificateView(chain.spec, record, { time: at, height: store.head()?.height ?? 0 }).status;
};

const lastReceipts = async (store: MemoryStore): Promise<Receipt[]> => (await store.getBlock(store.head()?.height ?? 0))?.receipts ?? [];

describe("automatic suspension", () => {
  it("checks the declaration in a rule set", () => {
    const types = new Map(makeTestChain(4, "decl").spec.genesis.certificateTypes.map((t) => [t.id, t]));
    const cases: Array<[string, unknown, RegExp | null]> = [
      ["no declaration", rules([]), null],
      ["suspend on a requires-valid rule", rules(["qualification-holder-identity"]), null],
      ["another value", { version: "x", rules: [{ ...DEFAULT_REVIEW_RULES.rules[1], onBasisRevoked: "revoke" }] }, /onBasisRevoked must be "suspend"/],
      ["on a unique-valid rule", { version: "x", rules: [{ ...DEFAULT_REVIEW_RULES.rules[2], ...SUSPEND }] }, /unique-valid has exactly/],
    ];
    for (const [name, set, problem] of cases) {
      const got = reviewRulesProblem(set, types);
      if (problem === null) assert.equal(got, null, name);
      else assert.match(String(got), problem, name);
    }
  });

  // Zhang holds an identity proof; a qualification (holder rule) and a licence naming him as legal
  // representative (link rule) rest on it. The public security bureau then revokes the proof.
  const table: Array<{ name: string; declare: string[]; extra?: ReviewRule[]; suspended: string[]; receipt: Array<[string, string, string]> }> = [
    { name: "no rule declares it: only flagged", declare: [], suspended: [], receipt: [] },
    {
      name: "the holder rule declares it: the qualification only",
      declare: ["qualification-holder-identity"],
      suspended: ["HPQ-S-0001"],
      receipt: [["HPQ-S-0001", "qualification-holder-identity", "IP-S-0001"]],
    },
    {
      name: "both rules: in issue order (qualification, then licence)",
      declare: ["qualification-holder-identity", "licence-representative-identity"],
      suspended: ["HPQ-S-0001", "BL-S-0001"],
      receipt: [
        ["HPQ-S-0001", "qualification-holder-identity", "IP-S-0001"],
        ["BL-S-0001", "licence-representative-identity", "IP-S-0001"],
      ],
    },
    {
      name: "cascade: the licence rests on the qualification, which rests on the proof",
      declare: ["qualification-holder-identity"],
      extra: [LICENCE_NEEDS_QUALIFICATION],
      suspended: ["HPQ-S-0001", "BL-S-0001"],
      receipt: [
        ["HPQ-S-0001", "qualification-holder-identity", "IP-S-0001"],
        ["BL-S-0001", "licence-representative-qualification", "HPQ-S-0001"],
      ],
    },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const chain = makeTestChain(4, "suspend-chain", { reviewRules: rules(c.declare, c.extra) });
      const store = new MemoryStore();
      const zhang = person("Zhang San", "110101199003070011");
      const proof = documentFor(chain, "identity-proof", zhang, { id: "IP-S-0001" });
      const qualification = documentFor(chain, "home-purchase-qualification", zhang, { id: "HPQ-S-0001" });
      const licence = documentFor(chain, "business-licence", zhang, { id: "BL-S-0001", links: { legalRepresentative: zhang.commitment } });
      await commitNext(chain, store, [issueTx(chain, proof)], T0 + DAY);
      await commitNext(chain, store, [issueTx(chain, qualification)], T0 + DAY + 60_000);
      await commitNext(chain, store, [issueTx(chain, licence)], T0 + DAY + 120_000);
      const revoke = revokeTx(chain, proof.certificateId, "public-security", "forged papers");
      await commitNext(chain, store, [revoke], T0 + DAY + 180_000);

      const [receipt] = await lastReceipts(store);
      assert.equal(receipt?.status, "applied");
      assert.deepEqual(
        (receipt?.suspended ?? []).map((s) => [s.certificateId, s.rule, s.basis]),
        c.receipt,
        "the revocation's receipt names each suspension, in order",
      );
      const now = T0 + 2 * DAY;
      for (const id of [qualification.certificateId, licence.certificateId]) {
        const want = c.suspended.includes(id) ? "suspended" : "valid";
        assert.equal(await statusOf(chain, store, id, now), want, `${id} is ${want}`);
      }
      // Every suspended record names the cause (the revocation) and its rule; the answer says why.
      for (const [id, rule, basis] of c.receipt) {
        const record = (await store.getCertificate(id)) as CertificateRecord;
        const event = record.history.at(-1);
        assert.deepEqual([event?.action, event?.rule, event?.basis, event?.height], ["suspend", rule, basis, 4], `${id}: history`);
        const view = await withBasis(chain.spec, certificateView(chain.spec, record, { time: now, height: 4 }), store);
        assert.equal(view.suspended?.basis, basis, `${id}: view.suspended`);
        assert.match(verdictOf(view).reason, /^suspended automatically/);
        assert.equal(verdictOf(view).valid, false);
      }
    });
  }

  it("two revocations in one block: suspensions in transaction order, each once, the same receipts on a second execution", async () => {
    const chain = makeTestChain(4, "two-revokes", { reviewRules: rules(["qualification-holder-identity", "licence-representative-identity"]) });
    const store = new MemoryStore();
    const zhang = person("Zhang San", "110101199003070011");
    const li = person("Li Si", "110101199104080022");
    const ipZhang = documentFor(chain, "identity-proof", zhang, { id: "IP-Z-0001" });
    const ipLi = documentFor(chain, "identity-proof", li, { id: "IP-L-0001" });
    const hpqZhang = documentFor(chain, "home-purchase-qualification", zhang, { id: "HPQ-Z-0001" });
    const hpqLi = documentFor(chain, "home-purchase-qualification", li, { id: "HPQ-L-0001" });
    // Li's licence names Zhang as legal representative: it rests on Zhang's proof.
    const licence = documentFor(chain, "business-licence", li, { id: "BL-L-0001", links: { legalRepresentative: zhang.commitment } });
    await commitNext(chain, store, [issueTx(chain, ipZhang), issueTx(chain, ipLi)], T0 + DAY);
    await commitNext(chain, store, [issueTx(chain, hpqLi), issueTx(chain, hpqZhang), issueTx(chain, licence)], T0 + DAY + 60_000);
    const txs: Transaction[] = [
      revokeTx(chain, ipLi.certificateId, "public-security", "forged"),
      revokeTx(chain, ipZhang.certificateId, "public-security", "forged"),
      // The licence, already suspended, may still be revoked by its department.
      revokeTx(chain, licence.certificateId, "market-regulation", "representative unproven"),
    ];
    const height = (store.head()?.height ?? 0) + 1;
    const time = T0 + DAY + 120_000;
    const checked = txs.map((t) => checkTransaction(chain.spec, t, height));
    const once = await executeBlock(chain.spec, store, height, time, checked);
    const twice = await executeBlock(chain.spec, store, height, time, checked);
    assert.equal(resultsRoot(once.receipts), resultsRoot(twice.receipts), "deterministic receipts");
    assert.deepEqual(
      once.receipts.map((r) => [r.status, (r.suspended ?? []).map((s) => s.certificateId)]),
      [
        ["applied", ["HPQ-L-0001"]],
        ["applied", ["HPQ-Z-0001", "BL-L-0001"]],
        ["applied", []],
      ],
    );
    const finalLicence = once.certificates.get(licence.certificateId) as CertificateRecord;
    assert.deepEqual(
      finalLicence.history.map((e) => e.action),
      ["issue", "suspend", "revoke"],
      "suspended, then revoked in the same block",
    );
    await commitNext(chain, store, txs, time);
    assert.equal(await statusOf(chain, store, licence.certificateId, time), "revoked");
    assert.equal(await statusOf(chain, store, hpqZhang.certificateId, time), "suspended");
  });

  it("an issue earlier in the same block is suspended; a suspended certificate stays suspended and may be renewed on a new basis", async () => {
    const chain = makeTestChain(4, "same-block", { reviewRules: rules(["qualification-holder-identity"]) });
    const store = new MemoryStore();
    const zhang = person("Zhang San", "110101199003070011");
    const proof = documentFor(chain, "identity-proof", zhang, { id: "IP-SB-0001" });
    const qualification = documentFor(chain, "home-purchase-qualification", zhang, { id: "HPQ-SB-0001" });
    await commitNext(chain, store, [issueTx(chain, proof)], T0 + DAY);
    await commitNext(chain, store, [issueTx(chain, qualification), revokeTx(chain, proof.certificateId, "public-security", "forged")], T0 + DAY + 60_000);
    const receipts = await lastReceipts(store);
    assert.deepEqual(receipts[1]?.suspended, [{ certificateId: "HPQ-SB-0001", rule: "qualification-holder-identity", basis: "IP-SB-0001" }]);
    // A new identity proof does not reinstate it.
    const newProof = documentFor(chain, "identity-proof", zhang, { id: "IP-SB-0002" });
    await commitNext(chain, store, [issueTx(chain, newProof)], T0 + DAY + 120_000);
    assert.equal(await statusOf(chain, store, qualification.certificateId, T0 + 2 * DAY), "suspended");
    // Its department renews it: reviewed afresh, on the new proof.
    const renewal = documentFor(chain, "home-purchase-qualification", zhang, { id: "HPQ-SB-0002", supersedes: qualification.certificateId });
    await commitNext(chain, store, [issueTx(chain, renewal)], T0 + DAY + 180_000);
    const [renewed] = await lastReceipts(store);
    assert.equal(renewed?.status, "applied", renewed?.message);
    assert.equal(await statusOf(chain, store, qualification.certificateId, T0 + 2 * DAY), "superseded");
    assert.equal(await statusOf(chain, store, renewal.certificateId, T0 + 2 * DAY), "valid");
    assert.deepEqual(await store.getDependents([newProof.certificateId]), [
      [{ basis: "IP-SB-0002", id: "HPQ-SB-0002", rule: "qualification-holder-identity" }],
    ]);
  });

  it("an expired dependent is not suspended; a renewal of the basis suspends nothing", async () => {
    for (const renewFirst of [false, true]) {
      const chain = makeTestChain(4, "expired-dependent", { reviewRules: rules(["qualification-holder-identity"]) });
      const store = new MemoryStore();
      const zhang = person("Zhang San", "110101199003070011");
      const proof = documentFor(chain, "identity-proof", zhang, { id: "IP-E-0001", validUntil: T0 + 300 * DAY });
      const short = documentFor(chain, "home-purchase-qualification", zhang, { id: "HPQ-E-0001", validUntil: T0 + 3 * DAY });
      await commitNext(chain, store, [issueTx(chain, proof)], T0 + DAY);
      await commitNext(chain, store, [issueTx(chain, short)], T0 + DAY + 60_000);
      if (renewFirst) {
        const renewedProof = documentFor(chain, "identity-proof", zhang, { id: "IP-E-0002", supersedes: proof.certificateId });
        await commitNext(chain, store, [issueTx(chain, renewedProof)], T0 + 2 * DAY);
        assert.deepEqual((await lastReceipts(store))[0]?.suspended, undefined, "a renewal suspends nothing");
        assert.equal(await statusOf(chain, store, short.certificateId, T0 + 2 * DAY), "valid");
        // The qualification rested on the old proof, not on its renewal: revoking the renewal suspends nothing.
        await commitNext(chain, store, [revokeTx(chain, renewedProof.certificateId, "public-security", "forged")], T0 + 2 * DAY + 60_000);
        assert.equal(await statusOf(chain, store, short.certificateId, T0 + 2 * DAY + 60_000), "valid");
      } else {
        // Revoked after the qualification expired: it stays expired.
        await commitNext(chain, store, [revokeTx(chain, proof.certificateId, "public-security", "forged")], T0 + 4 * DAY);
        assert.equal(await statusOf(chain, store, short.certificateId, T0 + 4 * DAY), "expired");
      }
      assert.deepEqual((await lastReceipts(store))[0]?.suspended, undefined, `renewFirst ${renewFirst}: no suspension`);
    }
  });

  it(`stops after ${MAX_SUSPENSIONS_PER_TX} suspensions and says so in the receipt`, async () => {
    const chain = makeTestChain(4, "bounded", { reviewRules: rules(["licence-representative-identity"]) });
    const store = new MemoryStore();
    const zhang = person("Zhang San", "110101199003070011");
    const proof = documentFor(chain, "identity-proof", zhang, { id: "IP-B-0001" });
    await commitNext(chain, store, [issueTx(chain, proof)], T0 + DAY);
    const count = MAX_SUSPENSIONS_PER_TX + 2;
    const licences = Array.from({ length: count }, (_, i) =>
      documentFor(chain, "business-licence", person(`Owner ${i}`, `1101011990030700${String(i).padStart(2, "0")}`), {
        id: `BL-B-${String(i).padStart(4, "0")}`,
        links: { legalRepresentative: zhang.commitment },
      }),
    );
    await commitNext(
      chain,
      store,
      licences.map((l) => issueTx(chain, l)),
      T0 + DAY + 60_000,
    );
    await commitNext(chain, store, [revokeTx(chain, proof.certificateId, "public-security", "forged")], T0 + DAY + 120_000);
    const [receipt] = await lastReceipts(store);
    assert.equal(receipt?.suspended?.length, MAX_SUSPENSIONS_PER_TX);
    assert.equal(receipt?.suspensionsCut, true);
    assert.deepEqual(
      receipt?.suspended?.map((s) => s.certificateId),
      licences.slice(0, MAX_SUSPENSIONS_PER_TX).map((l) => l.certificateId),
      "in issue order",
    );
    assert.equal(await statusOf(chain, store, licences.at(-1)?.certificateId as string, T0 + 2 * DAY), "valid", "beyond the bound: not suspended");
  });

  it("a suspension is proven offline, served as 2 in the status list, and the audit's replay agrees", async () => {
    const { chain, store, qualification } = await makeSuspensionChain();

    const bundle = await buildProofBundle(chain.spec, store, qualification.certificateId);
    const proven = verifyBundle(bundle, chain.spec.genesis);
    assert.equal(proven.status, "suspended");
    assert.deepEqual([proven.suspended?.height, proven.suspended?.rule, proven.suspended?.basis], [3, "qualification-holder-identity", "IP-P-0001"]);
    const verdict = await offlineVerdict(bundle, chain.spec.genesis, undefined);
    assert.match(verdict.line, /^NOT VALID: suspended at block 3: IP-P-0001/);
    // A node that leaves the suspension out of the receipt cannot make the event stand for it.
    const forged = JSON.parse(JSON.stringify(bundle)) as { events: Array<{ receipt: Receipt }> };
    delete (forged.events[1] as { receipt: Receipt }).receipt.suspended;
    assert.throws(() => verifyBundle(forged, chain.spec.genesis), /transaction is about "IP-P-0001", not HPQ-P-0001/);
    const renamed = JSON.parse(JSON.stringify(bundle)) as { events: Array<{ receipt: Receipt }> };
    (renamed.events[1]?.receipt.suspended?.[0] as { rule: string }).rule = "another-rule";
    assert.throws(() => verifyBundle(renamed, chain.spec.genesis), /receipt inclusion proof does not lead to the block's resultsRoot/);

    assert.deepEqual((await departmentStatuses(store, "housing")).slice(0, 1), [STATUS_SUSPENDED]);
    assert.deepEqual((await departmentStatuses(store, "public-security")).slice(0, 1), [1]);

    const report = await auditChain({}, { spec: chain.spec, source: storeSource(store, "memory") });
    assert.equal(report.finding, null, JSON.stringify(report.finding));
    assert.deepEqual([report.blocks, report.certificates], [3, 2]);
  });
});
