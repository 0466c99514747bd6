import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from "../../node/chain/freshness.js";
import { documentDigest, holderCommitment } from "../../node/chain/document.js";
import { checkTransaction, signTx, txHash } from "../../node/chain/tx.js";
import type { IssueTxBody, Transaction } from "../../node/chain/types.js";
import { LedgerError } from "../../node/errors.js";
import { ChainSpec, defaultConsensusParams } from "../../node/chain/genesis.js";
import { defaultTimeLimits } from "../../node/chain/time.js";
import { DAY, T0, issueTx, licenceDocument, makeTestChain, revokeTx } from "../helpers/chain.js";

const chain = makeTestChain();
const market = chain.issuers.get("market-regulation");
const housing = chain.issuers.get("housing");

/** Clone a valid issue tx, change it, and re-sign it with `key` (default: the market regulator). */
function mutated(change: (body: IssueTxBody) => void, key: typeof market | null = market): Transaction {
  const tx = structuredClone(issueTx(chain, licenceDocument(chain)));
  change(tx.body as IssueTxBody);
  return key === null || key === undefined ? tx : signTx(tx.body, key.privateKey);
}

const HOUR = 3_600_000;
const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);

function setValidity(b: IssueTxBody, validFrom: number, validUntil: number): void {
  b.payload.validFrom = validFrom;
  b.payload.validUntil = validUntil;
}

function setCreatedAt(b: IssueTxBody, createdAt: number): void {
  b.createdAt = createdAt;
}

describe("transaction validation", () => {
  it("accepts a well-formed signed issue and revoke", () => {
    const issue = issueTx(chain, licenceDocument(chain));
    const checked = checkTransaction(chain.spec, issue);
    assert.equal(checked.hash, txHash(issue));
    assert.ok(checked.bytes > 200 && checked.bytes < 2000, `size ${checked.bytes}`);
    assert.equal(checkTransaction(chain.spec, revokeTx(chain, "BL-1234")).tx.body.kind, "revoke");
  });

  it("the hash changes with any signed field and is the same for a re-encoded copy", () => {
    const tx = issueTx(chain, licenceDocument(chain));
    const copy = JSON.parse(JSON.stringify(tx)) as Transaction;
    assert.equal(txHash(copy), txHash(tx));
    copy.body.nonce = "0".repeat(32);
    assert.notEqual(txHash(copy), txHash(tx));
  });

  const other = makeTestChain(4, "other-chain");
  const cases: Array<[string, () => unknown, string]> = [
    ["not an object", () => "tx", "TX_MALFORMED"],
    ["null", () => null, "TX_MALFORMED"],
    ["extra top-level member", () => ({ ...issueTx(chain, licenceDocument(chain)), extra: 1 }), "TX_MALFORMED"],
    [
      "signature tampered",
      () => {
        const tx = issueTx(chain, licenceDocument(chain));
        return { ...tx, signature: tx.signature.replace(/^./, (c) => (c === "a" ? "b" : "a")) };
      },
      "TX_BAD_SIGNATURE",
    ],
    [
      "payload changed after signing",
      () =>
        mutated((b) => {
          b.payload.publicFields.enterpriseName = "Forged Co.";
        }, null),
      "TX_BAD_SIGNATURE",
    ],
    ["signature not hex", () => ({ ...issueTx(chain, licenceDocument(chain)), signature: "xyz" }), "TX_MALFORMED"],
    ["other chain (replay across chains)", () => issueTx(other, licenceDocument(other)), "TX_WRONG_CHAIN"],
    [
      "a chain id that is an object with a toString member",
      () =>
        mutated((b) => {
          (b as unknown as Record<string, unknown>).chainId = { toString: 1 };
        }),
      "TX_WRONG_CHAIN",
    ],
    [
      "unknown department",
      () =>
        mutated((b) => {
          b.department = "tax-bureau";
        }),
      "TX_UNKNOWN_ISSUER",
    ],
    [
      "signer of another department",
      () =>
        mutated((b) => {
          b.signer = housing?.publicKey as string;
        }, housing),
      "TX_UNKNOWN_ISSUER",
    ],
    [
      "department may not issue the type",
      () =>
        mutated((b) => {
          b.department = "housing";
          b.signer = housing?.publicKey as string;
        }, housing),
      "TX_ISSUER_NOT_ALLOWED",
    ],
    [
      "unknown certificate type",
      () =>
        mutated((b) => {
          b.payload.certificateType = "fishing-licence";
        }),
      "TX_UNKNOWN_TYPE",
    ],
    [
      "missing required public field",
      () =>
        mutated((b) => {
          delete b.payload.publicFields.enterpriseName;
        }),
      "TX_SCHEMA",
    ],
    [
      "private field on chain",
      () =>
        mutated((b) => {
          b.payload.publicFields.legalRepresentative = "Zhang San";
        }),
      "TX_SCHEMA",
    ],
    [
      "wrong field type",
      () =>
        mutated((b) => {
          b.payload.publicFields.registeredCapital = "lots";
        }),
      "TX_SCHEMA",
    ],
    [
      "pattern violated",
      () =>
        mutated((b) => {
          b.payload.publicFields.unifiedSocialCreditCode = "123";
        }),
      "TX_SCHEMA",
    ],
    [
      "bad certificate id",
      () =>
        mutated((b) => {
          b.payload.certificateId = "a b";
        }),
      "TX_MALFORMED",
    ],
    [
      "commitment not a digest",
      () =>
        mutated((b) => {
          b.payload.holderCommitment = "Zhang San";
        }),
      "TX_MALFORMED",
    ],
    [
      "validity reversed",
      () =>
        mutated((b) => {
          b.payload.validUntil = b.payload.validFrom - 1;
        }),
      "TX_BAD_VALIDITY",
    ],
    [
      "validity not integer",
      () =>
        mutated((b) => {
          (b.payload as unknown as Record<string, unknown>).validFrom = "2026-01-01";
        }),
      "TX_BAD_VALIDITY",
    ],
    [
      "unknown kind",
      () =>
        mutated((b) => {
          (b as unknown as Record<string, unknown>).kind = "mint";
        }),
      "TX_MALFORMED",
    ],
    [
      "bad nonce",
      () =>
        mutated((b) => {
          b.nonce = "1";
        }),
      "TX_MALFORMED",
    ],
    [
      "oversized",
      () =>
        mutated((b) => {
          b.payload.publicFields.businessScope = "x".repeat(1900);
          (b.payload as unknown as Record<string, unknown>).padding = "y".repeat(20000);
        }),
      "TX_TOO_LARGE",
    ],
    ["empty revoke reason", () => revokeTx(chain, "BL-1234", "market-regulation", " "), "TX_MALFORMED"],
    // hardening finding 4: every time inside the chain's range, a validity of at least minValidityMs
    ["validFrom beyond the Date range (8.7e15)", () => mutated((b) => setValidity(b, 8.7e15, 8.7e15 + DAY)), "TX_BAD_TIME"],
    ["validFrom at the epoch", () => mutated((b) => setValidity(b, 0, DAY)), "TX_BAD_TIME"],
    ["validFrom a millisecond before minTime", () => mutated((b) => setValidity(b, MIN_TIME - 1, MIN_TIME + DAY)), "TX_BAD_TIME"],
    ["validUntil a millisecond after maxTime", () => mutated((b) => setValidity(b, MAX_TIME - DAY, MAX_TIME + 1)), "TX_BAD_TIME"],
    ["createdAt 0", () => mutated((b) => setCreatedAt(b, 0)), "TX_BAD_TIME"],
    ["createdAt 8.6e15", () => mutated((b) => setCreatedAt(b, 8.6e15)), "TX_BAD_TIME"],
    ["a revoke created at 8.6e15", () => signTx({ ...revokeTx(chain, "BL-1234").body, createdAt: 8.6e15 }, market?.privateKey as string), "TX_BAD_TIME"],
    ["a validity of 0 ms", () => mutated((b) => setValidity(b, T0, T0)), "TX_BAD_VALIDITY"],
    ["a validity of 1 ms", () => mutated((b) => setValidity(b, T0, T0 + 1)), "TX_BAD_VALIDITY"],
    ["a validity a millisecond short of an hour", () => mutated((b) => setValidity(b, T0, T0 + HOUR - 1)), "TX_BAD_VALIDITY"],
  ];
  for (const [name, make, code] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      assert.throws(
        () => checkTransaction(chain.spec, make()),
        (err: unknown) => err instanceof LedgerError && err.code === code,
        `${name}: expected ${code}`,
      );
    });
  }
});

describe("transaction times: the chain's range and shortest validity (genesis)", () => {
  it("the edges of the default range and an hour's validity are accepted", () => {
    for (const [from, until] of [
      [MIN_TIME, MIN_TIME + HOUR],
      [MAX_TIME - HOUR, MAX_TIME],
      [T0, T0 + HOUR],
    ] as const) {
      assert.doesNotThrow(
        () =>
          checkTransaction(
            chain.spec,
            mutated((b) => setValidity(b, from, until)),
          ),
        `${from}..${until}`,
      );
    }
  });

  it("a genesis without the parameters gets the defaults; one with them uses its own", () => {
    const { minTime, maxTime, minValidityMs, ...rest } = defaultConsensusParams;
    assert.deepEqual(new ChainSpec({ ...chain.spec.genesis, consensus: rest }).timeLimits, defaultTimeLimits, "missing means default");
    const own = new ChainSpec({ ...chain.spec.genesis, consensus: { ...rest, minTime: T0 - DAY, maxTime: T0 + 400 * DAY, minValidityMs: DAY } });
    assert.deepEqual(own.timeLimits, { minTime: T0 - DAY, maxTime: T0 + 400 * DAY, minValidityMs: DAY });
  });

  it("a genesis without heartbeatIntervalMs gets the default heartbeat (5 minutes); one with it uses its own", () => {
    const { heartbeatIntervalMs, ...rest } = defaultConsensusParams;
    assert.equal(heartbeatIntervalMs, DEFAULT_HEARTBEAT_INTERVAL_MS, "new genesis files state the default");
    assert.equal(new ChainSpec({ ...chain.spec.genesis, consensus: rest }).heartbeatIntervalMs, 300_000, "missing means default");
    assert.equal(new ChainSpec({ ...chain.spec.genesis, consensus: { ...rest, heartbeatIntervalMs: 1500 } }).heartbeatIntervalMs, 1500);
  });

  const badGenesis: Array<[string, Partial<typeof defaultConsensusParams>]> = [
    ["minTime after maxTime", { minTime: T0, maxTime: T0 - 1 }],
    ["maxTime beyond the Date range", { maxTime: 8.7e15 }],
    ["a fractional minTime", { minTime: 1.5 }],
    ["a zero minValidityMs", { minValidityMs: 0 }],
    ["a minValidityMs longer than every type's maxValidityDays", { minValidityMs: 100_000 * DAY }],
    ["a heartbeatIntervalMs below 100 ms", { heartbeatIntervalMs: 99 }],
    ["a heartbeatIntervalMs over a day", { heartbeatIntervalMs: DAY + 1 }],
    ["a fractional heartbeatIntervalMs", { heartbeatIntervalMs: 1500.5 }],
  ];
  for (const [name, change] of badGenesis) {
    it(`genesis with ${name} is refused`, () => {
      assert.throws(
        () => new ChainSpec({ ...chain.spec.genesis, consensus: { ...defaultConsensusParams, ...change } }),
        (err: unknown) => err instanceof LedgerError && err.code === "CONFIG",
        name,
      );
    });
  }
});

describe("certificate documents", () => {
  it("commitment and digest depend on the salt, never equal the identity", () => {
    const doc = licenceDocument(chain);
    const again = { ...doc, holderSalt: "ab".repeat(32) };
    assert.notEqual(holderCommitment(doc.holder, doc.holderSalt), holderCommitment(again.holder, again.holderSalt));
    assert.notEqual(documentDigest(doc), documentDigest(again));
    const tx = issueTx(chain, doc);
    const onChain = JSON.stringify(tx);
    for (const secret of [doc.holder.name, doc.holder.idNumber, String(doc.fields.legalRepresentative)]) {
      assert.ok(!onChain.includes(secret), `personal data "${secret}" must not be in the transaction`);
    }
  });
});
