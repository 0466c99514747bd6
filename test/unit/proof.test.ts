/**
 * Proof bundles: built from a committed chain, checked by the pure verifier (proof/verify.ts) with
 * a trusted genesis. Every forgery is refused with the check that caught it.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { blockHash, commitSealBytes, receiptHash } from "../../node/chain/block.js";
import { merkleProof, merkleRoot, merkleRootFromProof } from "../../node/chain/merkle.js";
import { bytesToHex } from "../../node/crypto/bytes.js";
import { sha256 as browserSha256 } from "../../node/crypto/sha256-browser.js";
import { sha256 } from "../../node/crypto/sha256.js";
import * as browserKeys from "../../node/crypto/keys-browser.js";
import * as nodeKeys from "../../node/crypto/keys.js";
import { txHash } from "../../node/chain/tx.js";
import type { Receipt } from "../../node/chain/types.js";
import { canonicalBytes } from "../../node/crypto/hash.js";
import { canonicalize } from "../../node/crypto/jcs.js";
import { Domain, hashCanonical, taggedHash } from "../../node/crypto/hash.js";
import { signBytes } from "../../node/crypto/keys.js";
import { LedgerError } from "../../node/errors.js";
import { buildProofBundle } from "../../node/ledger/proof-build.js";
import type { ProofBundle } from "../../node/chain/proof/bundle.js";
import { documentMismatchProven } from "../../node/chain/proof/document.js";
import { type ProofCheck, verifyBundle } from "../../node/chain/proof/verify.js";
import { offlineVerdict } from "../../cli/commands/cert/verify-offline.js";
import { EXIT } from "../../node/errors.js";
import { makeTestChain } from "../helpers/chain.js";
import { type ProofChain, makeProofChain } from "../helpers/proof-chain.js";

let pc: ProofChain;
const bundleOf = async (id: string): Promise<ProofBundle> => {
  const b = await buildProofBundle(pc.chain.spec, pc.store, id);
  assert.ok(b !== null, `bundle of ${id}`);
  return b;
};
const refusedBy = (check: ProofCheck, pattern: RegExp) => (e: unknown) =>
  e instanceof LedgerError && e.code === "PROOF_INVALID" && e.details?.check === check && pattern.test(e.message);

before(async () => {
  pc = await makeProofChain();
});

describe("the browser bindings of the crypto primitives agree with the node's", () => {
  it("SHA-256 (node:crypto and @noble/hashes) byte for byte, on empty, short, long and split inputs", () => {
    const inputs = [new Uint8Array(0), new Uint8Array([0]), new TextEncoder().encode("é".repeat(1000)), new Uint8Array(70_000).fill(255)];
    for (const input of inputs) {
      assert.equal(bytesToHex(browserSha256(input)), bytesToHex(sha256(input)), `${input.length} bytes`);
      assert.equal(bytesToHex(browserSha256(input.subarray(0, 1), input.subarray(1))), bytesToHex(sha256(input)), `${input.length} bytes in two parts`);
    }
  });
  it("Ed25519 (node:crypto and @noble/curves): same public keys and signatures; each verifies the other's; both refuse a changed message or a malformed key", () => {
    const seeds = ["00".repeat(32), "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "ff".repeat(32)];
    for (const seed of seeds) {
      const message = new TextEncoder().encode(`message for ${seed}`);
      const publicKey = nodeKeys.publicKeyOf(seed);
      assert.equal(browserKeys.publicKeyOf(seed), publicKey, `public key of ${seed}`);
      const signature = nodeKeys.signBytes(seed, message);
      assert.equal(browserKeys.signBytes(seed, message), signature, `signature under ${seed}`);
      assert.ok(browserKeys.verifyBytes(publicKey, message, signature), "browser verifies node's");
      assert.ok(nodeKeys.verifyBytes(publicKey, message, browserKeys.signBytes(seed, message)), "node verifies browser's");
      const changed = message.slice();
      changed[0] = (changed[0] as number) ^ 1;
      assert.equal(browserKeys.verifyBytes(publicKey, changed, signature), false, "browser refuses a changed message");
      assert.equal(nodeKeys.verifyBytes(publicKey, changed, signature), false, "node refuses a changed message");
      assert.equal(browserKeys.verifyBytes("zz", message, signature), false, "browser refuses a malformed key");
    }
  });
  it("Merkle inclusion proofs lead to the root", () => {
    for (const n of [1, 2, 3, 5, 8]) {
      const leaves = Array.from({ length: n }, (_, i) => bytesToHex(taggedHash(Domain.TX, canonicalBytes(i))));
      for (let i = 0; i < n; i++) {
        assert.equal(merkleRootFromProof(leaves[i] as string, merkleProof(leaves, i)), merkleRoot(leaves), `leaf ${i} of ${n}`);
      }
    }
  });
});

describe("the test vectors of docs/proof-format.md (pure verifier code)", () => {
  it("canonical JSON, receipt hash, commit seal message and Merkle roots", () => {
    assert.equal(canonicalize({ b: [1, "é", { z: null, a: true }], a: 1.5e-7 }), '{"a":1.5e-7,"b":[1,"é",{"a":true,"z":null}]}');
    assert.equal(
      hashCanonical(Domain.RECEIPT, { txHash: "00".repeat(32), status: "applied" }),
      "0b668a0c77bbb489e69e1d2ede533f05e1c420c04b6227c1e709fdac6a78ab21",
    );
    assert.equal(
      bytesToHex(commitSealBytes("demo-0123456789abcdef", 7, 1, "ab".repeat(32))),
      "753075fd4f6a4f0e3bdc4697bcfcfffebf31f365daaad95499319fd956fc7c89",
    );
    const roots: Array<[string[], string]> = [
      [[], "97a0b7f476a1a2406d931fd2eaae4d1f98881d24443184e0d1ca8f3c33c9ab2b"],
      [["11".repeat(32)], "1e46cc6ddf147d9e08506dbd4305ffbbd4970426aa195668d0e733c350a36b2e"],
      [["11".repeat(32), "22".repeat(32), "33".repeat(32)], "81a24a2250babf76e3c8fa209da9d8ae3f2bc05f8dbc3da8a07e4bcbc8cc190a"],
    ];
    for (const [leaves, root] of roots) {
      assert.equal(merkleRoot(leaves), root, `${leaves.length} leaves`);
      if (leaves.length > 0) assert.equal(merkleRootFromProof(leaves[0] as string, merkleProof(leaves, 0)), root, `${leaves.length} leaves, pure`);
    }
  });
});

describe("proof bundle: statuses", () => {
  const cases: Array<[string, (p: ProofChain) => string, string]> = [
    ["an issued certificate", (p) => p.valid.certificateId, "valid"],
    ["a revoked certificate", (p) => p.revoked.certificateId, "revoked"],
    ["a certificate past validUntil at the latest block", (p) => p.expired.certificateId, "expired"],
    ["a certificate whose validity starts later", (p) => p.future.certificateId, "not-yet-valid"],
  ];
  for (const [name, idOf, status] of cases) {
    it(`${name} → ${status}`, async () => {
      const bundle = await bundleOf(idOf(pc));
      const proven = verifyBundle(JSON.parse(JSON.stringify(bundle)), pc.chain.spec.genesis);
      assert.equal(proven.status, status, name);
      assert.equal(proven.asOf.height, 3, "as of the newest block");
      assert.equal(proven.issued.height, 1);
    });
  }

  it("the revocation is proven with its block, time and reason", async () => {
    const proven = verifyBundle(await bundleOf(pc.revoked.certificateId), pc.chain.spec.genesis);
    assert.equal(proven.revoked?.height, 2);
    assert.equal(proven.revoked?.reason, "business closed");
  });

  it("an unknown certificate has no bundle", async () => {
    assert.equal(await buildProofBundle(pc.chain.spec, pc.store, "BL-NEVER-ISSUED"), null);
  });

  it("without a trusted genesis, the embedded one is used and named by its chain id", async () => {
    const proven = verifyBundle(await bundleOf(pc.valid.certificateId));
    assert.equal(proven.chainId, pc.chain.spec.chainId);
  });
});

describe("proof bundle: forgeries are refused with their reason", () => {
  type Forge = (b: ProofBundle, p: ProofChain) => void;
  const event0 = (b: ProofBundle) => b.events[0] as ProofBundle["events"][number];
  const cases: Array<[string, Forge, ProofCheck, RegExp]> = [
    [
      "a tampered public field",
      (b) => {
        (event0(b).tx.body.payload as { publicFields: Record<string, unknown> }).publicFields.enterpriseName = "Forged Co.";
      },
      "transaction",
      /signature does not verify/,
    ],
    [
      "a tampered validity period in the transaction",
      (b) => {
        (event0(b).tx.body.payload as { validUntil: number }).validUntil += 1;
      },
      "transaction",
      /signature does not verify/,
    ],
    [
      "a transaction re-signed by a key that is not the department's",
      (b, p) => {
        const other = p.chain.issuers.get("public-security")?.privateKey as string;
        event0(b).tx.signature = signBytes(other, taggedHash(Domain.TX, canonicalBytes(event0(b).tx.body)));
      },
      "transaction",
      /signature does not verify/,
    ],
    [
      "a tampered block time",
      (b) => {
        b.latest.header.time += 1;
      },
      "commit",
      /another block/,
    ],
    [
      "one commit seal too few",
      (b) => {
        b.latest.commit.seals.pop();
      },
      "commit",
      /2 valid commit seals, a quorum is 3/,
    ],
    [
      "a repeated commit seal",
      (b) => {
        const seals = event0(b).commit.seals;
        seals[2] = seals[0] as (typeof seals)[number];
      },
      "commit",
      /two seals from validator 0/,
    ],
    [
      "a commit seal with a wrong signature",
      (b, p) => {
        const seal = event0(b).commit.seals[1] as { signature: string };
        seal.signature = signBytes(p.chain.validatorKeys[3]?.privateKey as string, commitSealBytes(p.chain.spec.chainId, 1, 0, event0(b).commit.blockHash));
      },
      "commit",
      /seal of validator 1 .* does not verify/,
    ],
    [
      "a wrong sibling in the transaction's Merkle proof",
      (b) => {
        const step = event0(b).txProof[0] as { sibling: string };
        step.sibling = `${step.sibling.slice(0, 63)}${step.sibling.endsWith("0") ? "1" : "0"}`;
      },
      "merkle",
      /transaction inclusion proof/,
    ],
    [
      "a receipt Merkle proof with a step dropped",
      (b) => {
        event0(b).receiptProof.pop();
      },
      "merkle",
      /receipt inclusion proof/,
    ],
    [
      "a receipt changed to another status",
      (b) => {
        event0(b).receipt = { ...event0(b).receipt, status: "rejected", code: "TX_CERT_EXISTS" } as Receipt;
      },
      "merkle",
      /resultsRoot/,
    ],
    [
      "the issue event left out",
      (b) => {
        b.events.shift();
      },
      "history",
      /does not start with the certificate's issue/,
    ],
    [
      "an event for another certificate",
      (b) => {
        b.certificateId = "BL-OTHER-0001";
      },
      "transaction",
      /not BL-OTHER-0001/,
    ],
    [
      "another format",
      (b) => {
        (b as { format: string }).format = "x";
      },
      "format",
      /not a certchain-proof\/1 bundle/,
    ],
  ];
  for (const [name, forge, check, pattern] of cases) {
    it(`refuses ${name} (${check})`, async () => {
      const bundle = structuredClone(await bundleOf(pc.revoked.certificateId));
      forge(bundle, pc);
      assert.throws(() => verifyBundle(bundle, pc.chain.spec.genesis), refusedBy(check, pattern), name);
    });
  }

  it("refuses a transaction included but rejected (its true receipt, proven under resultsRoot)", async () => {
    const bundle = structuredClone(await bundleOf(pc.valid.certificateId));
    const block = await pc.store.getBlock(1);
    assert.ok(block !== null);
    const index = block.block.txs.findIndex((t) => t.signature === pc.rejectedIssue.signature);
    assert.equal(block.receipts[index]?.code, "TX_CERT_EXISTS", "the duplicate issue was rejected in block 1");
    bundle.events[0] = {
      ...(bundle.events[0] as ProofBundle["events"][number]),
      index,
      tx: pc.rejectedIssue,
      receipt: block.receipts[index] as Receipt,
      txProof: merkleProof(block.block.txs.map(txHash), index),
      receiptProof: merkleProof(block.receipts.map(receiptHash), index),
    };
    assert.throws(() => verifyBundle(bundle, pc.chain.spec.genesis), refusedBy("receipt", /rejected in block 1 \(TX_CERT_EXISTS/));
  });

  it("refuses a bundle of another chain against the trusted genesis", async () => {
    const other = makeTestChain(4, "other-chain");
    const bundle = structuredClone(await bundleOf(pc.valid.certificateId));
    assert.throws(() => verifyBundle(bundle, other.spec.genesis), refusedBy("chain", /another chain/));
  });

  it("refuses a bundle whose embedded genesis was swapped for one with the forger's keys", async () => {
    const bundle = structuredClone(await bundleOf(pc.valid.certificateId));
    bundle.genesis = makeTestChain(4, "proof-chain").spec.genesis;
    assert.throws(() => verifyBundle(bundle), refusedBy("chain", /another chain/));
  });

  it("the latest block hash is the node's own", async () => {
    const bundle = await bundleOf(pc.valid.certificateId);
    assert.equal(bundle.latest.commit.blockHash, blockHash(bundle.latest.header));
  });
});

describe("proof bundle: the holder's document", () => {
  it("matches its own certificate and nothing else", async () => {
    const genesis = pc.chain.spec.genesis;
    const proven = verifyBundle(await bundleOf(pc.valid.certificateId), genesis);
    assert.equal(documentMismatchProven(genesis, proven, structuredClone(pc.valid)), null);
    const cases: Array<[string, unknown, RegExp]> = [
      ["another certificate's document", pc.revoked, /not BL-/],
      ["a changed field", { ...pc.valid, fields: { ...pc.valid.fields, address: "elsewhere" } }, /digest does not match/],
      ["a changed holder", { ...pc.valid, holder: { ...pc.valid.holder, name: "Li Si" } }, /digest does not match/],
      ["not an object", "doc", /JSON object/],
    ];
    for (const [name, doc, pattern] of cases) {
      assert.match(documentMismatchProven(genesis, proven, doc) ?? "", pattern, name);
    }
  });
});

describe("cert verify --offline: the verdict line and exit code", () => {
  it("is VALID with exit 0 only for a proven valid certificate and a matching document", async () => {
    const genesis = pc.chain.spec.genesis;
    const forged = structuredClone(await bundleOf(pc.valid.certificateId));
    forged.latest.commit.seals.pop();
    const cases: Array<[string, ProofBundle, unknown, number, RegExp]> = [
      [
        "valid",
        await bundleOf(pc.valid.certificateId),
        undefined,
        EXIT.OK,
        /^VALID: BL-\S+ business-licence issued by market-regulation at block 1, .* as of block 3/,
      ],
      ["valid with its document", await bundleOf(pc.valid.certificateId), pc.valid, EXIT.OK, /^VALID: /],
      ["another document", await bundleOf(pc.valid.certificateId), pc.revoked, EXIT.INVALID, /^NOT VALID: mismatch: document is of certificate/],
      ["revoked", await bundleOf(pc.revoked.certificateId), undefined, EXIT.INVALID, /^NOT VALID: revoked at block 2: business closed/],
      ["expired", await bundleOf(pc.expired.certificateId), undefined, EXIT.INVALID, /^NOT VALID: expired on 2026-01-03/],
      ["not yet valid", await bundleOf(pc.future.certificateId), undefined, EXIT.INVALID, /^NOT VALID: not-yet-valid: valid from/],
      ["a forged bundle", forged, undefined, EXIT.INVALID, /^NOT VALID: proof refused: latest block \(block 3\): 2 valid commit seals/],
    ];
    for (const [name, bundle, doc, code, pattern] of cases) {
      const v = offlineVerdict(bundle, genesis, doc);
      assert.equal(v.exitCode, code, `${name}: ${v.line}`);
      assert.match(v.line, pattern, name);
    }
  });
});
