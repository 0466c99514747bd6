import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { documentDigest, holderCommitment } from "../../node/chain/document.js";
import { checkTransaction, signTx, txHash } from "../../node/chain/tx.js";
import type { IssueTxBody, Transaction } from "../../node/chain/types.js";
import { LedgerError } from "../../node/errors.js";
import { issueTx, licenceDocument, makeTestChain, revokeTx } from "../helpers/chain.js";

const chain = makeTestChain();
const market = chain.issuers.get("market-regulation");
const housing = chain.issuers.get("housing");

/** Clone a valid issue tx, change it, and re-sign it with `key` (default: the market regulator). */
function mutated(change: (body: IssueTxBody) => void, key: typeof market | null = market): Transaction {
  const tx = structuredClone(issueTx(chain, licenceDocument(chain)));
  change(tx.body as IssueTxBody);
  return key === null || key === undefined ? tx : signTx(tx.body, key.privateKey);
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
