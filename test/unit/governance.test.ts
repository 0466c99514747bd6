/**
 * On-chain governance, the pure model (chain/governance.ts, gov-actions.ts, validator-set.ts): each
 * action passing and activating at H + 2, every refusal with its code and the state left as it was,
 * thresholds, expiry, rejection, a passed change that no longer fits failing whole, issuer-key
 * validity by height, and the validator set in force at each height.
 */
import assert from "node:assert/strict";
import { CARD_VERSION, type NodeCard, type NodeCardBody, cardSigningBytes } from "../../node/chain/card.js";
import { MIN_VALIDATORS } from "../../node/chain/gov-actions.js";
import type { GovAction, GovernanceState, GovTxBody } from "../../node/chain/gov-types.js";
import {
  ACTIVATION_OFFSET,
  type CheckedGovTx,
  applyGovTx,
  checkGovTransaction,
  initialGovernance,
  issuerKeyInForce,
  proposalStatusAt,
  rulesAt,
  signGovTx,
  thresholdOf,
  validatorScheduleOf,
} from "../../node/chain/governance.js";
import type { GovernanceParams, Receipt } from "../../node/chain/types.js";
import { ValidatorSchedule } from "../../node/chain/validator-set.js";
import { type KeyPair, signBytes } from "../../node/crypto/keys.js";
import { peerIdOfEd25519Key } from "../../node/crypto/peer-id.js";
import { canonicalBytes } from "../../node/crypto/hash.js";
import { checkTransaction } from "../../node/chain/tx.js";
import { LedgerError } from "../../node/errors.js";
import { generateKeyPair } from "../../node/keys/key-file.js";
import { DEFAULT_REVIEW_RULES, T0, type TestChain, claimedResults, documentFor, issueTx, makeTestChain, person } from "../helpers/chain.js";
import { identityProofTx } from "../helpers/identity-proof.js";
import { commitNext } from "../helpers/proof-chain.js";
import { type ChainTip, buildBlock, checkBlock } from "../../node/chain/block.js";
import type { Transaction } from "../../node/chain/types.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { Mempool, defaultMempoolOptions } from "../../node/ledger/mempool.js";

let nonce = 0;
function govTx(chain: TestChain, signer: KeyPair, department: string, kind: GovTxBody["kind"], payload: unknown): CheckedGovTx {
  const body = {
    chainId: chain.spec.chainId,
    kind,
    department,
    signer: signer.publicKey,
    nonce: (nonce++).toString(16).padStart(32, "0"),
    createdAt: T0,
    payload,
  } as GovTxBody;
  return checkGovTransaction(chain.spec.chainId, chain.spec.timeLimits, signGovTx(body, signer.privateKey));
}

/** A validator card of `department`, signed by its consensus key. */
function card(department: string, name: string, consensus = generateKeyPair()): { card: NodeCard; consensus: KeyPair; issuer: KeyPair } {
  const issuer = generateKeyPair();
  const body: NodeCardBody = {
    version: CARD_VERSION,
    name,
    department,
    role: "validator",
    consensusKey: consensus.publicKey,
    peerId: peerIdOfEd25519Key(generateKeyPair().publicKey),
    address: "/ip4/10.0.0.5/tcp/26656",
    issuerKeys: [issuer.publicKey],
  };
  return { card: { ...body, signature: signBytes(consensus.privateKey, cardSigningBytes(body)) }, consensus, issuer };
}

/** A governed test chain: its validators' keys with their departments, and a runner of transactions at heights. */
function governed(n = 4, params?: GovernanceParams) {
  const chain = makeTestChain(n);
  let state: GovernanceState = initialGovernance(chain.spec.genesis);
  const members = chain.spec.validators.map((v, i) => ({ key: chain.validatorKeys[i] as KeyPair, department: v.department }));
  const run = (tx: CheckedGovTx, height: number): Receipt => {
    const r = applyGovTx(state, params, tx, { height });
    state = r.state;
    return r.receipt;
  };
  const propose = (i: number, action: GovAction, height: number): Receipt => {
    const m = members[i] as { key: KeyPair; department: string };
    return run(govTx(chain, m.key, m.department, "gov-propose", { action }), height);
  };
  const vote = (i: number, proposal: number, height: number, approve = true): Receipt => {
    const m = members[i] as { key: KeyPair; department: string };
    return run(govTx(chain, m.key, m.department, "gov-vote", { proposal, approve }), height);
  };
  return { chain, members, run, propose, vote, state: (): GovernanceState => state };
}

describe("governance: the pure model", () => {
  it("adds a validator from its card with 3 of 4 votes; the new set signs from H + 2", () => {
    const g = governed(4);
    const newcomer = card("market-regulation", "node5");
    assert.equal(g.propose(0, { type: "add-validator", card: newcomer.card }, 10).code, "GOV_OPEN");
    assert.equal(g.vote(1, 1, 11).code, "GOV_OPEN", "2 of 4 yes: open");
    const r = g.vote(2, 1, 12);
    assert.equal(r.code, "GOV_PASSED");
    assert.deepEqual(r.governance, { proposal: 1, status: "passed", yes: 3, no: 0, threshold: 3, activatesAt: 12 + ACTIVATION_OFFSET });
    const schedule = validatorScheduleOf(g.state());
    for (const [h, size] of [
      [1, 4],
      [12, 4],
      [13, 4],
      [14, 5],
      [100, 5],
    ] as const) {
      assert.equal(schedule.at(h).size, size, `set size at height ${h}`);
    }
    assert.equal(schedule.at(14).indexOf(newcomer.consensus.publicKey), 4);
    assert.equal(schedule.at(13).has(newcomer.consensus.publicKey), false, "not a validator before activation");
    // The card's issuer key joins its department at activation.
    assert.equal(issuerKeyInForce(g.state(), "market-regulation", newcomer.issuer.publicKey, 13), false);
    assert.equal(issuerKeyInForce(g.state(), "market-regulation", newcomer.issuer.publicKey, 14), true);
    // The new validator votes from then on; a fourth vote on a passed proposal is refused.
    assert.equal(g.vote(3, 1, 15).code, "TX_GOV_PROPOSAL_CLOSED");
  });

  it("rotates an issuer key: the old key signs up to H + 1, the new one from H + 2", () => {
    const g = governed(4);
    const old = g.chain.issuers.get("market-regulation") as KeyPair;
    const fresh = generateKeyPair();
    g.propose(0, { type: "add-issuer-key", department: "market-regulation", publicKey: fresh.publicKey }, 5);
    g.vote(1, 1, 5);
    assert.equal(g.vote(2, 1, 5).code, "GOV_PASSED");
    g.propose(0, { type: "revoke-issuer-key", department: "market-regulation", publicKey: old.publicKey }, 20);
    g.vote(1, 2, 21);
    assert.equal(g.vote(2, 2, 21).code, "GOV_PASSED");
    const table: Array<[string, KeyPair, number, boolean]> = [
      ["old key before the revocation", old, 22, true],
      ["old key at its last height", old, 22, true],
      ["old key once revoked", old, 23, false],
      ["new key before it is in force", fresh, 6, false],
      ["new key in force", fresh, 7, true],
      ["new key after the old one's revocation", fresh, 500, true],
    ];
    for (const [what, key, height, expected] of table) assert.equal(issuerKeyInForce(g.state(), "market-regulation", key.publicKey, height), expected, what);
    const grant = g.state().issuerKeys.find((k) => k.publicKey === old.publicKey);
    assert.deepEqual(grant, { department: "market-regulation", publicKey: old.publicKey, validFrom: 1, validUntil: 22 });
    assert.equal(
      rulesAt(g.state(), 22)
        .departments.find((d) => d.id === "market-regulation")
        ?.issuerKeys.includes(old.publicKey),
      true,
    );
    assert.equal(
      rulesAt(g.state(), 23)
        .departments.find((d) => d.id === "market-regulation")
        ?.issuerKeys.includes(old.publicKey),
      false,
    );
  });

  it("each other action passes and changes the rules at activation only", () => {
    const base = governed(4);
    const type = { ...(base.chain.spec.genesis.certificateTypes[0] as object), maxValidityDays: 9999 } as never;
    const rules = { version: "2027-1", rules: [] };
    const consensus = { ...base.chain.spec.consensus, roundTimeoutMs: 5000 };
    const department = { id: "water-resources", name: { en: "Water", zh: "水利" }, issuerKeys: [generateKeyPair().publicKey], certificateTypes: [] };
    const table: Array<[GovAction, (r: ReturnType<typeof rulesAt>) => unknown, unknown]> = [
      [{ type: "add-department", department }, (r) => r.departments.some((d) => d.id === "water-resources"), true],
      [{ type: "set-certificate-type", certificateType: type }, (r) => r.certificateTypes[0]?.maxValidityDays, 9999],
      [{ type: "adopt-review-rules", reviewRules: rules }, (r) => r.reviewRules?.version, "2027-1"],
      [{ type: "set-consensus-params", consensus }, (r) => r.consensus.roundTimeoutMs, 5000],
      [{ type: "remove-validator", publicKey: "" }, (r) => r.validators.length, 4],
    ];
    for (const [action, read, expected] of table) {
      const g = governed(5);
      const a = action.type === "remove-validator" ? { ...action, publicKey: g.members[4]?.key.publicKey as string } : action;
      g.propose(0, a, 30);
      g.vote(1, 1, 30);
      assert.equal(g.vote(2, 1, 31).code, "GOV_OPEN", `${a.type}: 3 of 5 is not a quorum (Q = 4)`);
      assert.equal(g.vote(3, 1, 31).code, "GOV_PASSED", `${a.type}: passes with 4 of 5`);
      assert.notDeepEqual(read(rulesAt(g.state(), 32)), expected, `${a.type}: not in force at H + 1`);
      assert.deepEqual(read(rulesAt(g.state(), 33)), expected, `${a.type}: in force at H + 2`);
    }
  });

  it("refuses bad input with its code and leaves the state as it was", () => {
    const outsider = generateKeyPair();
    const badCard = card("market-regulation", "node9");
    badCard.card.name = "altered";
    const followerCard = { ...card("market-regulation", "f1").card, role: "follower" } as NodeCard;
    type Case = [string, (g: ReturnType<typeof governed>) => Receipt | CheckedGovTx, string];
    const cases: Case[] = [
      [
        "a vote by a non-validator",
        (g) => g.run(govTx(g.chain, outsider, "market-regulation", "gov-vote", { proposal: 1, approve: true }), 3),
        "TX_GOV_NOT_VALIDATOR",
      ],
      [
        "a proposal by a non-validator",
        (g) => g.run(govTx(g.chain, outsider, "market-regulation", "gov-propose", { action: { type: "remove-validator", publicKey: outsider.publicKey } }), 3),
        "TX_GOV_NOT_VALIDATOR",
      ],
      [
        "a proposal by a validator under another department",
        (g) =>
          g.run(
            govTx(g.chain, g.members[0]?.key as KeyPair, g.members[1]?.department as string, "gov-propose", {
              action: { type: "add-issuer-key", department: "market-regulation", publicKey: outsider.publicKey },
            }),
            3,
          ),
        "TX_GOV_NOT_VALIDATOR",
      ],
      [
        "a proposal by a department with no validator",
        (g) =>
          g.run(
            govTx(g.chain, g.members[0]?.key as KeyPair, "no-such-dept", "gov-propose", {
              action: { type: "add-issuer-key", department: "market-regulation", publicKey: outsider.publicKey },
            }),
            3,
          ),
        "TX_GOV_NO_VALIDATOR",
      ],
      ["a duplicate vote", (g) => g.vote(1, 1, 3), "TX_GOV_DUPLICATE_VOTE"],
      ["the proposer voting again", (g) => g.vote(0, 1, 3), "TX_GOV_DUPLICATE_VOTE"],
      ["a vote on an unknown proposal", (g) => g.vote(2, 7, 3), "TX_GOV_PROPOSAL_UNKNOWN"],
      ["a vote on an expired proposal", (g) => g.vote(2, 1, 2 + 1000 + 1), "TX_GOV_PROPOSAL_EXPIRED"],
      [
        "removing a validator of 4",
        (g) => g.propose(0, { type: "remove-validator", publicKey: g.members[3]?.key.publicKey as string }, 3),
        "TX_GOV_TOO_FEW_VALIDATORS",
      ],
      ["adding a card whose signature fails", (g) => g.propose(0, { type: "add-validator", card: badCard.card }, 3), "TX_GOV_BAD_CARD"],
      ["adding a follower's card", (g) => g.propose(0, { type: "add-validator", card: followerCard }, 3), "TX_GOV_BAD_CARD"],
      ["adding a validator of an unknown department", (g) => g.propose(0, { type: "add-validator", card: card("nowhere", "n7").card }, 3), "TX_GOV_BAD_ACTION"],
      [
        "re-adding a validator in force",
        (g) => g.propose(0, { type: "add-validator", card: card("market-regulation", "n8", g.members[1]?.key).card }, 3),
        "TX_GOV_BAD_ACTION",
      ],
      [
        "reusing an issuer key",
        (g) =>
          g.propose(0, { type: "add-issuer-key", department: "market-regulation", publicKey: g.chain.issuers.get("public-security")?.publicKey as string }, 3),
        "TX_GOV_BAD_ACTION",
      ],
      [
        "revoking a key the department does not hold",
        (g) => g.propose(0, { type: "revoke-issuer-key", department: "market-regulation", publicKey: outsider.publicKey }, 3),
        "TX_GOV_BAD_ACTION",
      ],
      [
        "a department whose type is unknown",
        (g) =>
          g.propose(0, { type: "add-department", department: { id: "x-dept", name: { en: "X", zh: "X" }, issuerKeys: [], certificateTypes: ["no-type"] } }, 3),
        "TX_GOV_BAD_ACTION",
      ],
      [
        "consensus parameters that do not check",
        (g) => g.propose(0, { type: "set-consensus-params", consensus: { ...g.chain.spec.consensus, maxBlockTxs: 0 } }, 3),
        "TX_GOV_BAD_ACTION",
      ],
    ];
    for (const [what, act, code] of cases) {
      const g = governed(4);
      // Proposal 1 (open): validator 0 proposes, validator 1 votes yes, at height 2.
      g.propose(0, { type: "add-issuer-key", department: "market-regulation", publicKey: generateKeyPair().publicKey }, 2);
      g.vote(1, 1, 2);
      const before = JSON.stringify(g.state());
      let got: string;
      try {
        const r = act(g);
        got = "code" in r && typeof r.code === "string" ? r.code : "applied";
        if ("status" in r) assert.equal(r.status, "rejected", `${what}: a rejected receipt`);
      } catch (err) {
        got = err instanceof LedgerError ? err.code : String(err);
      }
      assert.equal(got, code, what);
      assert.equal(JSON.stringify(g.state()), before, `${what}: state unchanged`);
    }
  });

  it("counts a governance transaction's bytes as its canonical JSON, like a certificate transaction", () => {
    const chain = makeTestChain(4);
    const key = chain.validatorKeys[0] as KeyPair;
    const body = {
      chainId: chain.spec.chainId,
      kind: "gov-vote",
      department: chain.spec.validators[0]?.department as string,
      signer: key.publicKey,
      nonce: "0".repeat(32),
      createdAt: T0,
      payload: { proposal: 1, approve: true },
    } as GovTxBody;
    const tx = signGovTx(body, key.privateKey);
    const checked = checkGovTransaction(chain.spec.chainId, chain.spec.timeLimits, tx);
    assert.equal(checked.bytes, canonicalBytes(tx).length);
    const cert = identityProofTx(chain.spec, chain.issuers.get("public-security") as KeyPair, "BYTES-0001", "Holder");
    assert.equal(checkTransaction(chain.spec, cert).bytes, canonicalBytes(cert).length);
  });

  it("refuses malformed governance transactions at the edge", () => {
    const chain = makeTestChain(4);
    const key = chain.validatorKeys[0] as KeyPair;
    const dept = chain.spec.validators[0]?.department as string;
    const body = {
      chainId: chain.spec.chainId,
      kind: "gov-vote",
      department: dept,
      signer: key.publicKey,
      nonce: "0".repeat(32),
      createdAt: T0,
      payload: { proposal: 1, approve: true },
    } as GovTxBody;
    const cases: Array<[string, unknown, string]> = [
      ["not an object", 7, "TX_MALFORMED"],
      ["another chain", signGovTx({ ...body, chainId: "other-0000" }, key.privateKey), "TX_WRONG_CHAIN"],
      ["an unknown kind", signGovTx({ ...body, kind: "gov-veto" } as never, key.privateKey), "TX_MALFORMED"],
      ["an unknown action", signGovTx({ ...body, kind: "gov-propose", payload: { action: { type: "abolish" } } } as never, key.privateKey), "TX_MALFORMED"],
      ["a vote without approve", signGovTx({ ...body, payload: { proposal: 1 } } as never, key.privateKey), "TX_MALFORMED"],
      ["proposal id 0", signGovTx({ ...body, payload: { proposal: 0, approve: true } } as never, key.privateKey), "TX_MALFORMED"],
      ["an extra member", { ...signGovTx(body, key.privateKey), extra: 1 }, "TX_MALFORMED"],
      ["signed by another key", { body, signature: signGovTx(body, generateKeyPair().privateKey).signature }, "TX_BAD_SIGNATURE"],
    ];
    for (const [what, value, code] of cases) {
      assert.throws(
        () => checkGovTransaction(chain.spec.chainId, chain.spec.timeLimits, value),
        (e: unknown) => e instanceof LedgerError && e.code === code,
        what,
      );
    }
    assert.doesNotThrow(() => checkGovTransaction(chain.spec.chainId, chain.spec.timeLimits, signGovTx(body, key.privateKey)));
  });

  it("rejects a proposal once enough no votes make the threshold unreachable, and expires an open one", () => {
    const g = governed(4);
    g.propose(0, { type: "add-issuer-key", department: "market-regulation", publicKey: generateKeyPair().publicKey }, 1);
    assert.equal(g.vote(1, 1, 2, false).code, "GOV_OPEN", "1 no of 4: 3 yes still reachable");
    const r = g.vote(2, 1, 3, false);
    assert.equal(r.code, "GOV_REJECTED", "2 no of 4: 3 yes unreachable");
    assert.equal(g.vote(3, 1, 4).code, "TX_GOV_PROPOSAL_CLOSED");
    g.propose(0, { type: "add-issuer-key", department: "market-regulation", publicKey: generateKeyPair().publicKey }, 10);
    const p = g.state().proposals[1];
    assert.ok(p !== undefined);
    assert.equal(proposalStatusAt(p, 1010), "open", "open at its expiry height");
    assert.equal(proposalStatusAt(p, 1011), "expired", "expired after it");
    assert.equal(g.state().epochs.length, 1, "nothing scheduled");
  });

  it("a passed change that no longer fits fails whole: two removals cannot take 5 validators to 3", () => {
    const g = governed(5);
    g.propose(0, { type: "remove-validator", publicKey: g.members[4]?.key.publicKey as string }, 1);
    g.propose(0, { type: "remove-validator", publicKey: g.members[3]?.key.publicKey as string }, 1);
    for (const i of [1, 2, 3]) g.vote(i, 1, 2);
    assert.equal(g.state().proposals[0]?.status, "passed");
    const r = g.vote(1, 2, 2);
    assert.equal(g.vote(2, 2, 2).code, "GOV_OPEN");
    assert.equal(r.code, "GOV_OPEN");
    const last = g.vote(4, 2, 3);
    assert.equal(last.code, "GOV_FAILED", "the second removal fails when it passes");
    assert.equal(g.state().proposals[1]?.failure?.code, "TX_GOV_TOO_FEW_VALIDATORS");
    assert.equal(validatorScheduleOf(g.state()).at(1000).size, MIN_VALIDATORS);
  });

  it("thresholds: Q by default, a genesis share above it, never below Q", () => {
    const table: Array<[GovernanceParams | undefined, number, number]> = [
      [undefined, 4, 3],
      [undefined, 5, 4],
      [undefined, 7, 5],
      [{ thresholdPercent: 100 }, 5, 5],
      [{ thresholdPercent: 80 }, 7, 6],
      [{ thresholdPercent: 10 }, 7, 5],
    ];
    for (const [params, n, expected] of table) assert.equal(thresholdOf(params, n), expected, `n=${n} ${JSON.stringify(params)}`);
  });

  it("the validator schedule answers the set of each height", () => {
    const chain = makeTestChain(5);
    const v = chain.spec.validators;
    const s = new ValidatorSchedule([
      { from: 1, validators: v.slice(0, 4) },
      { from: 10, validators: v.slice(0, 5) },
      { from: 20, validators: v.slice(1, 5) },
    ]);
    const table: Array<[number, number, string]> = [
      [0, 4, v[0]?.publicKey as string],
      [9, 4, v[0]?.publicKey as string],
      [10, 5, v[0]?.publicKey as string],
      [19, 5, v[0]?.publicKey as string],
      [20, 4, v[1]?.publicKey as string],
    ];
    for (const [h, n, first] of table) {
      assert.equal(s.at(h).size, n, `size at ${h}`);
      assert.equal(s.at(h).validators[0]?.publicKey, first, `first validator at ${h}`);
      assert.equal(s.at(h).quorum, n === 5 ? 4 : 3, `quorum at ${h}`);
    }
    assert.equal(s.at(20).indexOf(v[0]?.publicKey as string), -1, "a removed validator is not in the set from its removal on");
    assert.throws(() => s.add({ from: 5, validators: v }), /before/);
  });

  it("in blocks: a new review rule set is in force from H + 2, and a revoked issuer key is refused at admission and in blocks from then on", async () => {
    const chain = makeTestChain(4, "gov-blocks", { reviewRules: DEFAULT_REVIEW_RULES });
    const store = new MemoryStore();
    const at = (i: number): number => T0 + i * 60_000;
    const gov = (i: number, kind: GovTxBody["kind"], payload: unknown): Transaction => {
      const key = chain.validatorKeys[i] as KeyPair;
      const body = {
        chainId: chain.spec.chainId,
        kind,
        department: chain.spec.validators[i]?.department as string,
        signer: key.publicKey,
        nonce: (nonce++).toString(16).padStart(32, "0"),
        createdAt: T0,
        payload,
      } as GovTxBody;
      return signGovTx(body, key.privateKey) as unknown as Transaction;
    };
    const receipts = async (): Promise<Receipt[]> => ((await store.getBlock(store.head()?.height as number))?.receipts ?? []) as Receipt[];
    const qualification = (): Transaction => issueTx(chain, documentFor(chain, "home-purchase-qualification", person(`Stranger ${nonce++}`, `ID${nonce}`)));
    await commitNext(chain, store, [qualification()], at(1));
    assert.equal((await receipts())[0]?.code, "REVIEW_NO_IDENTITY_PROOF", "height 1: genesis's rules");
    await commitNext(chain, store, [gov(0, "gov-propose", { action: { type: "adopt-review-rules", reviewRules: { version: "2027-1", rules: [] } } })], at(2));
    await commitNext(chain, store, [gov(1, "gov-vote", { proposal: 1, approve: true }), gov(2, "gov-vote", { proposal: 1, approve: true })], at(3));
    const decided = await receipts();
    assert.deepEqual(
      decided.map((r) => r.code),
      ["GOV_OPEN", "GOV_PASSED"],
    );
    assert.equal(decided[1]?.governance?.activatesAt, 5);
    await commitNext(chain, store, [qualification()], at(4));
    assert.equal((await receipts())[0]?.code, "REVIEW_NO_IDENTITY_PROOF", "height 4 (H + 1): still genesis's rules");
    await commitNext(chain, store, [qualification()], at(5));
    const r5 = (await receipts())[0];
    assert.deepEqual([r5?.status, r5?.review?.version], ["applied", "2027-1"], "height 5 (H + 2): the new rule set");

    // Revoke public-security's key (proposal 2, passed in block 7, in force from 9).
    const old = chain.issuers.get("public-security") as KeyPair;
    await commitNext(
      chain,
      store,
      [gov(0, "gov-propose", { action: { type: "revoke-issuer-key", department: "public-security", publicKey: old.publicKey } })],
      at(6),
    );
    await commitNext(chain, store, [gov(1, "gov-vote", { proposal: 2, approve: true }), gov(3, "gov-vote", { proposal: 2, approve: true })], at(7));
    assert.equal((await receipts())[1]?.governance?.activatesAt, 9);
    const mempool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
    const early = identityProofTx(chain.spec, old, "ID-OLD-KEY-1", "Early Holder");
    assert.equal((await mempool.admit(early)).status, "accepted", "admitted for height 8: the key's last height");
    await commitNext(chain, store, [early], at(8));
    assert.equal((await receipts())[0]?.status, "applied");
    const late = identityProofTx(chain.spec, old, "ID-OLD-KEY-2", "Late Holder");
    await assert.rejects(mempool.admit(late), (e: unknown) => e instanceof LedgerError && e.code === "TX_ISSUER_KEY_NOT_VALID", "refused for height 9");
    const tip = store.head() as ChainTip;
    const block = { header: { ...buildBlock(chain.spec, tip, 0, at(9), [], claimedResults([])).header, txCount: 1 }, txs: [late] };
    assert.throws(() => checkBlock(chain.spec, block, tip), /not in force at height 9/, "a block of height 9 holding it is invalid");
    assert.equal((await store.getCertificate("ID-OLD-KEY-1"))?.revoked, false, "the certificate the key signed before stays valid");
  });

  it("ChainSpec learns the rules of later heights and never forgets: a state that knows less is ignored", () => {
    const g = governed(5);
    const spec = g.chain.spec;
    const before = JSON.parse(JSON.stringify(g.state())) as GovernanceState;
    g.propose(0, { type: "remove-validator", publicKey: g.members[4]?.key.publicKey as string }, 3);
    for (const i of [1, 2, 3]) g.vote(i, 1, 4);
    spec.learn(g.state());
    assert.equal(spec.validatorSetAt(5).size, 5, "height 5 (H + 1): five");
    assert.equal(spec.validatorSetAt(6).size, 4, "height 6 (H + 2): four");
    spec.learn(before);
    assert.equal(spec.validatorSetAt(6).size, 4, "an older state (a lagging node's) does not take the knowledge back");
    assert.equal(spec.rulesUnchangedAt(1), false, "checks cached at one height are made again at another");
  });
});
