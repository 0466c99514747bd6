/**
 * Certificate lifecycle and automatic review (chain/state.ts, chain/rules.ts): review decisions and
 * their receipts, renewal, expiry by block time, admission giving the same codes as execution, and
 * byte-identical receipts on independent nodes.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { resultsRoot } from "../../node/chain/block.js";
import { ChainSpec } from "../../node/chain/genesis.js";
import { Mempool, defaultMempoolOptions } from "../../node/ledger/mempool.js";
import { executeBlock, statusAt } from "../../node/chain/state.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { CertificateDocument } from "../../node/chain/document.js";
import type { Genesis, Receipt, Transaction } from "../../node/chain/types.js";
import { canonicalize } from "../../node/crypto/jcs.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { LedgerError } from "../../node/errors.js";
import { buildProofBundle } from "../../node/ledger/proof-build.js";
import { verifyBundle } from "../../node/chain/proof/verify.js";
import { renderVerifyPage } from "../../node/rpc/page/page-html.js";
import { certificateView, verdictOf } from "../../node/rpc/certificate-view.js";
import { DEFAULT_REVIEW_RULES, DEFAULT_TEMPLATE, DAY, T0, type TestPerson, documentFor, issueTx, makeTestChain, person, revokeTx } from "../helpers/chain.js";
import { commitNext } from "../helpers/proof-chain.js";

const chain = makeTestChain(4, "lifecycle", { reviewRules: DEFAULT_REVIEW_RULES });
const VERSION = DEFAULT_REVIEW_RULES.version;
const check = (tx: Transaction) => checkTransaction(chain.spec, tx);

/** Commit `txs` as the next block at `time`; its receipts. */
async function commit(store: MemoryStore, txs: Transaction[], time: number): Promise<Receipt[]> {
  await commitNext(chain, store, txs, time);
  const block = await store.getBlock(store.head()?.height as number);
  return block?.receipts as Receipt[];
}

/** "applied" or the rejection code, per receipt. */
const outcomes = (receipts: Receipt[]): string[] => receipts.map((r) => (r.status === "applied" ? "applied" : (r.code as string)));

const identity = (p: TestPerson, extra: Parameters<typeof documentFor>[3] = {}): CertificateDocument => documentFor(chain, "identity-proof", p, extra);
const qualification = (p: TestPerson, extra: Parameters<typeof documentFor>[3] = {}): CertificateDocument =>
  documentFor(chain, "home-purchase-qualification", p, extra);

describe("automatic review", () => {
  it("approves a qualification for a holder with a valid identity proof; the receipt names the rule set and the rules that passed", async () => {
    const store = new MemoryStore();
    const citizen = person("Li Si", "110101199001011111");
    const [r1] = await commit(store, [issueTx(chain, identity(citizen))], T0 + 1000);
    assert.deepEqual(r1, { txHash: r1?.txHash, status: "applied", code: "REVIEW_APPROVED", review: { version: VERSION, passed: [] } });
    const [r2] = await commit(store, [issueTx(chain, qualification(citizen))], T0 + 2000);
    assert.deepEqual(r2?.review, { version: VERSION, passed: ["qualification-holder-identity", "qualification-one-per-holder"] });
    assert.equal(r2?.code, "REVIEW_APPROVED");
  });

  // [name, setup transactions per block, the reviewed transaction, expected code, failing rule]
  const citizen = person("Wang Wu", "110101199202022222");
  const stranger = person("Zhao Liu", "110101199303033333");
  const expiringId = identity(citizen, { validUntil: T0 + 5 * DAY });
  const firstQualification = qualification(citizen);
  const revokedId = identity(citizen);
  const cases: Array<[string, Transaction[][], () => Transaction, string, string | undefined]> = [
    ["no identity proof at all", [], () => issueTx(chain, qualification(stranger)), "REVIEW_NO_IDENTITY_PROOF", "qualification-holder-identity"],
    [
      "an identity proof of someone else",
      [[issueTx(chain, identity(stranger))]],
      () => issueTx(chain, qualification(citizen)),
      "REVIEW_NO_IDENTITY_PROOF",
      "qualification-holder-identity",
    ],
    [
      "an identity proof expired at block time",
      [[issueTx(chain, expiringId)]],
      () => issueTx(chain, qualification(citizen)),
      "REVIEW_NO_IDENTITY_PROOF",
      "qualification-holder-identity",
    ],
    [
      "a revoked identity proof",
      [[issueTx(chain, revokedId)], [revokeTx(chain, revokedId.certificateId, "public-security", "issued in error")]],
      () => issueTx(chain, qualification(citizen)),
      "REVIEW_NO_IDENTITY_PROOF",
      "qualification-holder-identity",
    ],
    [
      "a second valid qualification",
      [[issueTx(chain, identity(citizen))], [issueTx(chain, firstQualification)]],
      () => issueTx(chain, qualification(citizen)),
      "REVIEW_DUPLICATE_QUALIFICATION",
      "qualification-one-per-holder",
    ],
    [
      "a licence without its legal representative's link",
      [],
      () => issueTx(chain, documentFor(chain, "business-licence", person("Acme Ltd", "91330100MA2XXXXX1X"))),
      "REVIEW_NO_IDENTITY_PROOF",
      "licence-representative-identity",
    ],
    [
      "a licence whose representative has no identity proof",
      [],
      () =>
        issueTx(
          chain,
          documentFor(chain, "business-licence", person("Acme Ltd", "91330100MA2XXXXX1X"), { links: { legalRepresentative: stranger.commitment } }),
        ),
      "REVIEW_NO_IDENTITY_PROOF",
      "licence-representative-identity",
    ],
  ];
  for (const [name, setup, reviewed, code, rule] of cases) {
    it(`rejects ${name}: ${code} (rule ${rule}), at admission and in a block`, async () => {
      const store = new MemoryStore();
      let time = T0 + 1000;
      for (const [i, txs] of setup.entries()) {
        assert.deepEqual(
          outcomes(await commit(store, txs, time)),
          txs.map(() => "applied"),
          `setup block ${i + 1}`,
        );
        time += 1000;
      }
      const tx = reviewed();
      // Admission judges at the latest block's time: an expiring proof is still valid there, so move past it first.
      if (name.includes("expired")) {
        await commit(store, [issueTx(chain, identity(person("Other", "110101198001010000")))], T0 + 6 * DAY);
        time = T0 + 6 * DAY + 1000;
      }
      const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
      await assert.rejects(pool.admit(tx), (e: unknown) => e instanceof LedgerError && e.code === code, "admission");
      const [receipt] = await commit(store, [tx], time);
      assert.equal(receipt?.status, "rejected");
      assert.equal(receipt?.code, code, "block");
      assert.equal(receipt?.review?.version, VERSION);
      assert.equal(receipt?.review?.rule, rule);
    });
  }

  it("approves a licence whose legal representative holds a valid identity proof", async () => {
    const store = new MemoryStore();
    const representative = person("Chen Qi", "110101198504044444");
    const licence = documentFor(chain, "business-licence", person("Acme Ltd", "91330100MA2XXXXX1X"), {
      links: { legalRepresentative: representative.commitment },
    });
    assert.deepEqual(outcomes(await commit(store, [issueTx(chain, identity(representative)), issueTx(chain, licence)], T0 + 1000)), ["applied", "applied"]);
    const record = await store.getCertificate(licence.certificateId);
    assert.deepEqual(record?.links, { legalRepresentative: representative.commitment });
  });

  it("admission sees pending transactions: a pending identity proof lets a qualification in, a pending qualification keeps a second out", async () => {
    const store = new MemoryStore();
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
    const citizen = person("Sun Ba", "110101199505055555");
    await pool.admit(issueTx(chain, identity(citizen)));
    await pool.admit(issueTx(chain, qualification(citizen)));
    await assert.rejects(
      pool.admit(issueTx(chain, qualification(citizen))),
      (e: unknown) => e instanceof LedgerError && e.code === "REVIEW_DUPLICATE_QUALIFICATION",
    );
    assert.equal(pool.size, 2);
  });

  it("a qualification committed from elsewhere drops a pending one for the same holder", async () => {
    const store = new MemoryStore();
    const citizen = person("Zhou Jiu", "110101199606066666");
    await commit(store, [issueTx(chain, identity(citizen))], T0 + 1000);
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
    const mine = issueTx(chain, qualification(citizen));
    await pool.admit(mine);
    const theirs = issueTx(chain, qualification(citizen));
    await commit(store, [theirs], T0 + 2000);
    await pool.onBlockCommitted([check(theirs)]);
    assert.equal(pool.size, 0, "the pending qualification no longer passes review");
  });

  it("a renewal committed from elsewhere drops a pending revocation of the certificate it supersedes", async () => {
    const store = new MemoryStore();
    const citizen = person("Feng Shisan", "110101199707070707");
    const old = qualification(citizen);
    await commit(store, [issueTx(chain, identity(citizen)), issueTx(chain, old)], T0 + 1000);
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
    await pool.admit(revokeTx(chain, old.certificateId, "housing", "moved away"));
    await pool.admit(issueTx(chain, identity(person("Unrelated", "110101190001010001"))));
    const renewal = issueTx(chain, qualification(citizen, { supersedes: old.certificateId }));
    await commit(store, [renewal], T0 + 2000);
    await pool.onBlockCommitted([check(renewal)]);
    assert.deepEqual(
      pool.reap(10, 1 << 20).map((t) => t.tx.body.kind),
      ["issue"],
      "the revocation no longer applies; the unrelated issue stays",
    );
  });

  it("a block re-checks only the pending transactions it touched and those built on them; the rest keep their place", async () => {
    const store = new MemoryStore();
    const a = person("Qian Yi", "110101199801010101");
    const b = person("Kong Er", "110101199802020202");
    await commit(store, [issueTx(chain, identity(a))], T0 + 1000);
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
    const mine = qualification(a);
    const idB = identity(b);
    const qB = qualification(b);
    for (const doc of [mine, idB, qB]) assert.equal((await pool.admit(issueTx(chain, doc))).status, "accepted");
    const theirs = issueTx(chain, qualification(a));
    await commit(store, [theirs], T0 + 2000);
    await pool.onBlockCommitted([check(theirs)]);
    assert.deepEqual(
      pool.reap(10, 1 << 20).map((t) => (t.tx.body.kind === "issue" ? t.tx.body.payload.certificateId : t.tx.body.kind)),
      [idB.certificateId, qB.certificateId],
      "A's second qualification is dropped; B's identity and the qualification built on it stay, in order",
    );
  });

  it("a re-checked transaction that still applies keeps its place in the arrival order", async () => {
    const store = new MemoryStore();
    const a = person("Shen Qi", "110101199807070707");
    await commit(store, [issueTx(chain, identity(a))], T0 + 1000);
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
    const q = qualification(a);
    const other = identity(person("Han Ba", "110101199808080808"));
    for (const doc of [q, other]) await pool.admit(issueTx(chain, doc));
    // A second identity proof for A, committed from elsewhere: it adds to the holder index A's qualification read.
    const second = issueTx(chain, identity(a));
    await commit(store, [second], T0 + 2000);
    await pool.onBlockCommitted([check(second)]);
    assert.deepEqual(
      pool.reap(10, 1 << 20).map((t) => (t.tx.body.kind === "issue" ? t.tx.body.payload.certificateId : t.tx.body.kind)),
      [q.certificateId, other.certificateId],
      "the qualification still passes and is still first in line",
    );
  });

  it("a pending transaction built on one the block invalidates is re-checked with it, and dropped", async () => {
    const store = new MemoryStore();
    const x = person("Cao San", "110101199803030303");
    const y = person("Yan Si", "110101199804040404");
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
    const idX = identity(x, { id: "IP-SHARED-0001" });
    await pool.admit(issueTx(chain, idX));
    await pool.admit(issueTx(chain, qualification(x)));
    assert.equal(pool.size, 2, "the qualification passed review on X's pending identity proof");
    // Another department's identity proof for Y takes the same certificate id first.
    const taken = issueTx(chain, identity(y, { id: "IP-SHARED-0001" }));
    await commit(store, [taken], T0 + 2000);
    await pool.onBlockCommitted([check(taken)]);
    assert.equal(pool.size, 0, "X's identity proof lost its id, and the qualification that relied on it went with it");
  });

  // A holder's identity proof is committed and a qualification built on it is pending, then a second
  // transaction; a block revokes the identity proof. [name, holder, the second pending document, why]
  const revokedBasisCases: Array<[string, TestPerson, (holder: TestPerson) => CertificateDocument, string]> = [
    [
      "a committed revocation of the identity proof a pending qualification relied on drops the qualification",
      person("Hua Wu", "110101199805050505"),
      () => identity(person("Unrelated", "110101190001010002")),
      "the qualification's basis is revoked: it would be refused in a block (REVIEW_NO_IDENTITY_PROOF)",
    ],
    [
      "a pending transaction is re-checked without the pending ones that came after it",
      person("Lu Liu", "110101199806060606"),
      // A second identity proof for the same holder, pending after the qualification (identity proofs pass no review).
      (holder) => identity(holder),
      "in a block the qualification comes first, before the second identity proof: it would be refused there",
    ],
  ];
  for (const [name, citizen, second, why] of revokedBasisCases) {
    it(name, async () => {
      const store = new MemoryStore();
      const id = identity(citizen);
      await commit(store, [issueTx(chain, id)], T0 + 1000);
      const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
      await pool.admit(issueTx(chain, qualification(citizen)));
      await pool.admit(issueTx(chain, second(citizen)));
      const revoke = revokeTx(chain, id.certificateId, "public-security", "issued in error");
      await commit(store, [revoke], T0 + 2000);
      await pool.onBlockCommitted([check(revoke)]);
      assert.deepEqual(
        pool.reap(10, 1 << 20).map((t) => (t.tx.body.kind === "issue" ? t.tx.body.payload.certificateType : t.tx.body.kind)),
        ["identity-proof"],
        why,
      );
    });
  }

  it("every node produces byte-identical receipts for the same block", async () => {
    const citizen = person("Wu Shi", "110101199707077777");
    const txs = [
      issueTx(chain, identity(citizen)),
      issueTx(chain, qualification(citizen)),
      issueTx(chain, qualification(citizen)),
      issueTx(chain, qualification(person("Nobody", "110101190001010000"))),
    ].map(check);
    const a = await executeBlock(chain.spec, new MemoryStore(), 1, T0 + 1000, txs);
    const b = await executeBlock(chain.spec, new MemoryStore(), 1, T0 + 1000, [...txs]);
    assert.deepEqual(outcomes(a.receipts), ["applied", "applied", "REVIEW_DUPLICATE_QUALIFICATION", "REVIEW_NO_IDENTITY_PROOF"]);
    assert.equal(canonicalize(a.receipts), canonicalize(b.receipts));
    assert.equal(resultsRoot(a.receipts), resultsRoot(b.receipts));
  });
});

describe("renewal (supersede)", () => {
  const citizen = person("Zheng Shiyi", "110101199808088888");

  async function chainWithQualification(): Promise<{ store: MemoryStore; old: CertificateDocument }> {
    const store = new MemoryStore();
    const old = qualification(citizen, { validUntil: T0 + 30 * DAY });
    assert.deepEqual(outcomes(await commit(store, [issueTx(chain, identity(citizen, { validUntil: T0 + 3000 * DAY })), issueTx(chain, old)], T0 + 1000)), [
      "applied",
      "applied",
    ]);
    return { store, old };
  }

  it("links old and new both ways; the old is superseded, the unique-qualification rule excepts it", async () => {
    const { store, old } = await chainWithQualification();
    const renewal = qualification(citizen, { supersedes: old.certificateId, validFrom: T0 + DAY, validUntil: T0 + 200 * DAY });
    const [receipt] = await commit(store, [issueTx(chain, renewal)], T0 + DAY);
    assert.equal(receipt?.code, "REVIEW_APPROVED", JSON.stringify(receipt));
    const before = await store.getCertificate(old.certificateId);
    const after = await store.getCertificate(renewal.certificateId);
    assert.equal(before?.supersededBy, renewal.certificateId);
    assert.equal(after?.supersedes, old.certificateId);
    assert.deepEqual(
      before?.history.map((e) => [e.action, e.by]),
      [
        ["issue", undefined],
        ["supersede", renewal.certificateId],
      ],
    );
    assert.equal(statusAt(before as NonNullable<typeof before>, T0 + DAY), "superseded");
    // What a verifier is shown: not valid, superseded by the renewal, in the verdict and on the page.
    const verdict = verdictOf(certificateView(chain.spec, before as NonNullable<typeof before>, { time: T0 + DAY, height: 2 }));
    assert.deepEqual([verdict.valid, verdict.status, verdict.reason], [false, "superseded", `superseded by ${renewal.certificateId}`]);
    const page = renderVerifyPage({
      certificateId: old.certificateId,
      verification: verdict,
      genesis: chain.spec.genesis,
      chainId: chain.spec.chainId,
      genesisHash: chain.spec.genesisHash,
      publicUrl: "https://certs.example.gov.cn",
    });
    assert.match(page, new RegExp(`Superseded by</span>.*${renewal.certificateId}`, "s"));
    assert.equal(statusAt(after as NonNullable<typeof after>, T0 + DAY), "valid");
    // A superseded certificate is not revoked itself: its successor is.
    await assert.rejects(
      new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store }).admit(revokeTx(chain, old.certificateId, "housing")),
      (e: unknown) => e instanceof LedgerError && e.code === "TX_CERT_NOT_VALID",
    );
    // The proof bundle of the old certificate proves the supersession offline.
    const bundle = await buildProofBundle(chain.spec, store, old.certificateId);
    const proven = verifyBundle(JSON.parse(JSON.stringify(bundle)), chain.spec.genesis);
    assert.equal(proven.status, "superseded");
    assert.equal(proven.superseded?.by, renewal.certificateId);
    assert.equal(
      verifyBundle(JSON.parse(JSON.stringify(await buildProofBundle(chain.spec, store, renewal.certificateId))), chain.spec.genesis).status,
      "valid",
    );
  });

  // [name, prepare the store after the old certificate, the renewal's overrides, signing department, code]
  const refusals: Array<[string, (store: MemoryStore, old: CertificateDocument) => Promise<void>, (old: CertificateDocument) => CertificateDocument, string]> =
    [
      ["an unknown certificate", async () => {}, () => qualification(citizen, { supersedes: "HPQ-NEVER-ISSUED" }), "TX_CERT_UNKNOWN"],
      [
        "another holder",
        async () => {},
        (old) => qualification(person("Other", "110101198001010001"), { supersedes: old.certificateId }),
        "TX_SUPERSEDE_MISMATCH",
      ],
      [
        "a revoked certificate",
        async (store, old) => {
          await commit(store, [revokeTx(chain, old.certificateId, "housing", "moved away")], T0 + 2000);
        },
        (old) => qualification(citizen, { supersedes: old.certificateId }),
        "TX_CERT_NOT_VALID",
      ],
      [
        "a certificate expired at block time",
        async (store) => {
          await commit(store, [issueTx(chain, identity(person("Other", "110101198001010002")))], T0 + 31 * DAY);
        },
        (old) => qualification(citizen, { supersedes: old.certificateId, validFrom: T0 + 31 * DAY, validUntil: T0 + 100 * DAY }),
        "TX_CERT_NOT_VALID",
      ],
      [
        "a certificate already superseded",
        async (store, old) => {
          await commit(store, [issueTx(chain, qualification(citizen, { supersedes: old.certificateId }))], T0 + 2000);
        },
        (old) => qualification(citizen, { supersedes: old.certificateId }),
        "TX_CERT_NOT_VALID",
      ],
    ];
  for (const [name, prepare, renewalOf, code] of refusals) {
    it(`refuses to renew ${name}: ${code}, at admission and in a block`, async () => {
      const { store, old } = await chainWithQualification();
      await prepare(store, old);
      const before = await store.getCertificate(old.certificateId);
      const tx = issueTx(chain, renewalOf(old));
      await assert.rejects(
        new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store }).admit(tx),
        (e: unknown) => e instanceof LedgerError && e.code === code,
        "admission",
      );
      const [receipt] = await commit(store, [tx], (store.head()?.time as number) + 1000);
      assert.equal(receipt?.code, code, "block");
      assert.deepEqual(await store.getCertificate(old.certificateId), before, "the old record is untouched");
    });
  }

  it("refuses a renewal by another department: TX_NOT_ISSUER", async () => {
    // A genesis where housing may issue identity proofs too, so the refusal is stateful, not stateless.
    const spec2 = new ChainSpec({
      ...chain.spec.genesis,
      departments: chain.spec.genesis.departments.map((d) => (d.id === "housing" ? { ...d, certificateTypes: [...d.certificateTypes, "identity-proof"] } : d)),
    });
    const chain2 = { ...chain, spec: spec2 };
    const old = { ...identity(citizen), chainId: spec2.chainId };
    const renewal = { ...identity(citizen, { supersedes: old.certificateId }), chainId: spec2.chainId, department: "housing" };
    const txs = [issueTx(chain2, old), issueTx(chain2, renewal, "housing")].map((t) => checkTransaction(spec2, t));
    const effects = await executeBlock(spec2, new MemoryStore(), 1, T0 + 1000, txs);
    assert.deepEqual(outcomes(effects.receipts), ["applied", "TX_NOT_ISSUER"]);
  });
});

describe("expiry by block time", () => {
  it("a view's status and checkedAt come from the latest block, not a clock", async () => {
    const store = new MemoryStore();
    const doc = identity(person("Qian Shier", "110101199909099999"), { validUntil: T0 + 2 * DAY });
    await commit(store, [issueTx(chain, doc)], T0 + 1000);
    const record = await store.getCertificate(doc.certificateId);
    const at = (time: number, height: number) => certificateView(chain.spec, record as NonNullable<typeof record>, { time, height });
    assert.equal(at(T0 + 1000, 1).status, "valid");
    const late = at(T0 + 3 * DAY, 2);
    assert.equal(late.status, "expired");
    assert.equal(late.checkedAt, T0 + 3 * DAY);
    assert.equal(late.checkedAtHeight, 2);
  });
});

describe("genesis: certificate types and review rules", () => {
  const base = chain.spec.genesis;
  const bad: Array<[string, (g: Genesis) => void, RegExp]> = [
    ["maxValidityDays below the default", (g) => ((g.certificateTypes[0] as { maxValidityDays: number }).maxValidityDays = 1), /maxValidityDays/],
    ["a rule of an unknown type", (g) => ((g.reviewRules?.rules[0] as { certificateType: string }).certificateType = "nope"), /unknown certificateType/],
    ["an unknown reason code", (g) => ((g.reviewRules?.rules[0] as { code: string }).code = "REVIEW_WHATEVER"), /code must be one of/],
    ["a link the type lacks", (g) => ((g.reviewRules?.rules[0] as { subject: unknown }).subject = { link: "spouse" }), /subject must be/],
    [
      "a repeated rule id",
      (g) => g.reviewRules?.rules.push({ ...(g.reviewRules.rules[0] as NonNullable<Genesis["reviewRules"]>["rules"][0]) }),
      /invalid or repeated/,
    ],
    ["an unknown rule kind", (g) => ((g.reviewRules?.rules[2] as { kind: string }).kind = "maybe"), /unknown kind/],
    ["a rule set without a version", (g) => ((g.reviewRules as { version: string }).version = ""), /reviewRules must be/],
  ];
  for (const [name, mutate, message] of bad) {
    it(`refuses ${name}`, () => {
      const g = structuredClone(base);
      mutate(g);
      assert.throws(
        () => new ChainSpec(g),
        (e: unknown) => e instanceof LedgerError && e.code === "CONFIG" && message.test(e.message),
        name,
      );
    });
  }

  it("the default types each have a default and a maximum validity; an issue beyond the maximum is refused statelessly", () => {
    for (const t of DEFAULT_TEMPLATE.certificateTypes) assert.ok(t.maxValidityDays >= t.defaultValidityDays, t.id);
    const tooLong = qualification(person("Long", "110101198001010004"), { validUntil: T0 + 366 * DAY });
    assert.throws(
      () => check(issueTx(chain, tooLong)),
      (e: unknown) => e instanceof LedgerError && e.code === "TX_BAD_VALIDITY",
    );
  });
});
