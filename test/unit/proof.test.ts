/**
 * Proof bundles: built from a committed chain, checked by the pure verifier (proof/verify.ts) with
 * a trusted genesis. Every forgery is refused with the check that caught it.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { blockHash, commitSealBytes, receiptHash } from "../../node/chain/block.js";
import { merkleProof, merkleProofSides, merkleRoot, merkleRootFromProof } from "../../node/chain/merkle.js";
import { bytesToHex } from "../../node/crypto/bytes.js";
import { sha256 as browserSha256 } from "../../node/crypto/sha256-browser.js";
import { sha256 } from "../../node/crypto/sha256.js";
import * as browserKeys from "../../node/crypto/keys-browser.js";
import * as nodeKeys from "../../node/crypto/keys.js";
import { txHash } from "../../node/chain/tx.js";
import type { Genesis, Receipt } from "../../node/chain/types.js";
import { canonicalBytes } from "../../node/crypto/hash.js";
import { canonicalize } from "../../node/crypto/jcs.js";
import { Domain, hashCanonical, taggedHash } from "../../node/crypto/hash.js";
import { LedgerError } from "../../node/errors.js";
import { buildProofBundle } from "../../node/ledger/proof-build.js";
import type { ProofBundle } from "../../node/chain/proof/bundle.js";
import { documentMismatchProven } from "../../node/chain/proof/document.js";
import { type ProofCheck, verifyAbsence, verifyBundle, verifyServedAbsence, verifyServedBundle } from "../../node/chain/proof/verify.js";
import { offlineVerdict } from "../../cli/commands/cert/verify-offline.js";
import { EXIT } from "../../node/errors.js";
import { makeTestChain } from "../helpers/chain.js";
import { type ProofChain, makeProofChain } from "../helpers/proof-chain.js";
import { FORGERIES } from "../helpers/proof-forgeries.js";
import { EMPTY_STATE_ROOT, stateRootOf } from "../../node/chain/state-tree.js";
import { stateKey, stateValue } from "../../node/chain/certificate-state.js";

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
  it("the sides of a proof are fixed by (index, count): merkleProofSides is merkleProof's path, and no two indexes share one", () => {
    for (let n = 1; n <= 9; n++) {
      const leaves = Array.from({ length: n }, (_, i) => bytesToHex(taggedHash(Domain.TX, canonicalBytes(i))));
      const paths = new Set<string>();
      for (let i = 0; i < n; i++) {
        const sides = merkleProofSides(i, n);
        assert.deepEqual(
          sides,
          merkleProof(leaves, i).map((s) => s.side),
          `leaf ${i} of ${n}`,
        );
        paths.add(JSON.stringify(sides));
      }
      assert.equal(paths.size, n, `${n} leaves have ${n} distinct paths`);
      assert.equal(merkleProofSides(n, n), null, `index ${n} of ${n}`);
    }
  });
});

describe("the test vectors of docs/proof-format.md (pure verifier code)", () => {
  const hex32 = (byte: string): string => byte.repeat(32);
  /** Each row of the doc's table (its input cell) and how this code computes its output cell. */
  const rows: Array<[string, () => string]> = [
    ['`JCS({"b":[1,"é",{"z":null,"a":true}],"a":1.5e-7})`', () => `\`${canonicalize({ b: [1, "é", { z: null, a: true }], a: 1.5e-7 })}\``],
    [
      '`H("certchain/receipt/v1", JCS({"txHash":"00"×32,"status":"applied"}))`',
      () => hashCanonical(Domain.RECEIPT, { txHash: hex32("00"), status: "applied" }),
    ],
    [
      'commit seal message, chain `demo-0123456789abcdef`, height 7, round 1, blockHash `"ab"×32`',
      () => bytesToHex(commitSealBytes("demo-0123456789abcdef", 7, 1, hex32("ab"))),
    ],
    ["Merkle root of no leaves", () => merkleRoot([])],
    ['Merkle root of `["11"×32]`', () => merkleRoot([hex32("11")])],
    ['Merkle root of `["11"×32, "22"×32, "33"×32]`', () => merkleRoot([hex32("11"), hex32("22"), hex32("33")])],
    ...[
      [0, 1],
      [2, 7],
      [3, 7],
      [6, 7],
      [4, 5],
    ].map(([i, n]): [string, () => string] => [`proof sides of index ${i} of ${n}`, () => `\`${JSON.stringify(merkleProofSides(i as number, n as number))}\``]),
    ["state root of no certificate", () => EMPTY_STATE_ROOT],
    ['state key of id `"BL-1"`', () => stateKey("BL-1")],
    ['state root of `{"11"×32: "aa"×32}` (one leaf)', () => stateRootOf(new Map([[hex32("11"), hex32("aa")]]))],
    [
      'state root of `{"11"×32: "aa"×32, "33"×32: "bb"×32, "f0"×32: "cc"×32}`',
      () =>
        stateRootOf(
          new Map([
            [hex32("11"), hex32("aa")],
            [hex32("33"), hex32("bb")],
            [hex32("f0"), hex32("cc")],
          ]),
        ),
    ],
    [
      'state value of `{id:"BL-1", department:"d", certificateType:"t", holderCommitment:"11"×32, documentDigest:"22"×32, validFrom:1, validUntil:2, revoked:true, suspended:false, supersededBy:null, events:["33"×32,"44"×32]}`',
      () =>
        stateValue({
          id: "BL-1",
          department: "d",
          certificateType: "t",
          holderCommitment: hex32("11"),
          documentDigest: hex32("22"),
          validFrom: 1,
          validUntil: 2,
          revoked: true,
          suspended: false,
          supersededBy: null,
          events: [hex32("33"), hex32("44")],
        }),
    ],
  ];

  it("every row of the doc's table is recomputed by this code, and the table has no other rows", async () => {
    const doc = await readFile(new URL("../../../docs/proof-format.md", import.meta.url), "utf8");
    const table = doc.slice(doc.indexOf("## 9. Test vectors"));
    const docRows = new Map<string, string>();
    for (const line of table.split("\n")) {
      const m = /^\| (.+) \| `?([^`|]+)`? \|$/.exec(line);
      if (m === null || m[1] === "input" || m[1]?.startsWith("---")) continue;
      docRows.set(m[1] as string, line);
    }
    for (const [input, compute] of rows) {
      const line = docRows.get(input);
      assert.ok(line !== undefined, `the doc has a row for ${input}`);
      const output = compute();
      const shown = output.startsWith("`") ? output : `\`${output}\``;
      assert.equal(line, `| ${input} | ${shown} |`, `row ${input}`);
    }
    assert.equal(docRows.size, rows.length, `the doc's rows: ${[...docRows.keys()].join("; ")}`);
  });

  it("a Merkle proof of leaf 0 leads to each root", () => {
    const roots: Array<[string[], string]> = [
      [["11".repeat(32)], "1e46cc6ddf147d9e08506dbd4305ffbbd4970426aa195668d0e733c350a36b2e"],
      [["11".repeat(32), "22".repeat(32), "33".repeat(32)], "81a24a2250babf76e3c8fa209da9d8ae3f2bc05f8dbc3da8a07e4bcbc8cc190a"],
    ];
    for (const [leaves, root] of roots) {
      assert.equal(merkleRootFromProof(leaves[0] as string, merkleProof(leaves, 0)), root, `${leaves.length} leaves`);
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

  it("an unknown certificate's bundle proves its absence (CLI path), and a certificate's cannot pass for one", async () => {
    const absence = JSON.parse(JSON.stringify(await buildProofBundle(pc.chain.spec, pc.store, "BL-NEVER-ISSUED"))) as ProofBundle;
    assert.deepEqual(absence.events, [], "no events");
    const absent = verifyAbsence(absence, pc.chain.spec.genesis);
    assert.equal(absent.certificateId, "BL-NEVER-ISSUED");
    assert.equal(absent.asOf.height, 3, "as of the newest block");
    const cli = offlineVerdict(absence, pc.chain.spec.genesis);
    assert.equal(cli.exitCode, EXIT.INVALID);
    assert.match(
      cli.line,
      /^NOT VALID: unknown: the chain holds no certificate "BL-NEVER-ISSUED" as of block 3 .*proof of absence checked offline \(3-seal quorum\)$/,
    );
    // An issued certificate's bundle with its events dropped, renamed or with its state proof reused: refused.
    const issued = structuredClone(await bundleOf(pc.valid.certificateId));
    issued.events = [];
    assert.throws(() => verifyAbsence(issued, pc.chain.spec.genesis), refusedBy("state", /holds certificate BL-[^ ]+: it is not absent/));
    const renamed = { ...structuredClone(absence), certificateId: pc.valid.certificateId };
    assert.throws(
      () => verifyAbsence(renamed, pc.chain.spec.genesis),
      refusedBy("state", /the proof does not lead to the state root of block 3|it is not absent/),
    );
    assert.match(offlineVerdict(renamed, pc.chain.spec.genesis).line, /^NOT VALID: proof refused: /);
    assert.throws(
      () => verifyBundle(absence, pc.chain.spec.genesis),
      refusedBy("history", /proves no transaction/),
      "a proof of absence proves no certificate",
    );
  });

  it("the page's check of an unknown id: the same proof of absence, of the chain and the id the page names", async () => {
    const absence = JSON.parse(JSON.stringify(await buildProofBundle(pc.chain.spec, pc.store, "BL-NEVER-ISSUED"))) as ProofBundle;
    const chainId = pc.chain.spec.chainId;
    assert.equal(verifyServedAbsence(absence, chainId, "BL-NEVER-ISSUED").asOf.height, 3, "the page accepts the genuine proof");
    assert.throws(() => verifyServedAbsence(absence, "other-0123456789abcdef", "BL-NEVER-ISSUED"), refusedBy("chain", /the page names other-/));
    assert.throws(
      () => verifyServedAbsence(absence, chainId, "BL-ASKED-FOR"),
      refusedBy("chain", /the proof is of certificate BL-NEVER-ISSUED, the page names BL-ASKED-FOR/),
      "another id's absence proves nothing of this one",
    );
    const issued = structuredClone(await bundleOf(pc.valid.certificateId));
    issued.events = [];
    assert.throws(() => verifyServedAbsence(issued, chainId, pc.valid.certificateId), refusedBy("state", /it is not absent/));
    // A bundle of an existing certificate is checked against the id the page names too.
    const other = await bundleOf(pc.valid.certificateId);
    assert.throws(() => verifyServedBundle(other, chainId, "BL-NEVER-ISSUED"), refusedBy("chain", /the page names BL-NEVER-ISSUED/));
    assert.equal(verifyServedBundle(other, chainId, pc.valid.certificateId).status, "valid");
  });

  it("without a trusted genesis, the embedded one is used and named by its chain id", async () => {
    const proven = verifyBundle(await bundleOf(pc.valid.certificateId));
    assert.equal(proven.chainId, pc.chain.spec.chainId);
  });
});

describe("proof bundle: forgeries are refused with their reason, by the CLI path and by the page's check", () => {
  for (const [name, forge, check, pattern] of FORGERIES) {
    it(`refuses ${name} (${check})`, async () => {
      const bundle = structuredClone(await bundleOf(pc.revoked.certificateId));
      forge(bundle, pc);
      assert.throws(() => verifyBundle(bundle, pc.chain.spec.genesis), refusedBy(check, pattern), `${name}: verifier with the trusted genesis`);
      const cli = offlineVerdict(bundle, pc.chain.spec.genesis);
      assert.equal(cli.exitCode, EXIT.INVALID, `${name}: cert verify --offline says ${cli.line}`);
      assert.match(cli.line, /^NOT VALID: proof refused: /, `${name}: the CLI's line`);
      assert.throws(() => verifyServedBundle(bundle, pc.chain.spec.chainId), refusedBy(check, pattern), `${name}: the page's check`);
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
    assert.throws(() => verifyBundle(bundle), refusedBy("chain", /embedded genesis hashes to/));
    assert.throws(
      () => verifyBundle(bundle, pc.chain.spec.genesis),
      refusedBy("chain", /embedded genesis hashes to/),
      "the same verdict with the trusted genesis",
    );
  });

  it("the page refuses a genuine bundle of another chain than the one it names", async () => {
    const bundle = structuredClone(await bundleOf(pc.valid.certificateId));
    assert.equal(verifyServedBundle(bundle, pc.chain.spec.chainId).status, "valid", "the page accepts the genuine bundle");
    assert.throws(() => verifyServedBundle(bundle, "other-0123456789abcdef"), refusedBy("chain", /the page names other-0123456789abcdef/));
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

describe("the bundle vectors of docs/vectors/proof-vectors.json (scripts/proof-vectors.mjs)", () => {
  interface Vector {
    name: string;
    /** A vector of another chain (the suspension's) carries its own genesis. */
    genesis?: Genesis;
    bundle: ProofBundle;
    expect: { status?: string; absent?: true; refused?: ProofCheck; message?: string };
  }
  it("every genuine bundle proves its status and every forged one is refused by its check, by the CLI path and the page's check", async () => {
    const text = await readFile(new URL("../../../docs/vectors/proof-vectors.json", import.meta.url), "utf8");
    const file = JSON.parse(text) as { genesis: Genesis; vectors: Vector[] };
    const checks = new Set<string>();
    const statuses = new Set<string>();
    for (const v of file.vectors) {
      const genesis = v.genesis ?? file.genesis;
      if (v.expect.absent === true) {
        assert.equal(verifyAbsence(v.bundle, file.genesis).certificateId, v.bundle.certificateId, v.name);
        assert.match(offlineVerdict(v.bundle, file.genesis).line, /^NOT VALID: unknown: /, `${v.name}: cert verify --offline`);
        continue;
      }
      if (v.expect.status !== undefined) {
        assert.equal(verifyBundle(v.bundle, genesis).status, v.expect.status, v.name);
        assert.equal(verifyServedBundle(v.bundle, v.bundle.chainId).status, v.expect.status, `${v.name}: the page's check`);
        statuses.add(v.expect.status);
        continue;
      }
      const refused = refusedBy(v.expect.refused as ProofCheck, new RegExp(`^${escapeRegExp(v.expect.message as string)}$`));
      assert.throws(() => verifyBundle(v.bundle, file.genesis), refused, v.name);
      assert.equal(offlineVerdict(v.bundle, file.genesis).exitCode, EXIT.INVALID, `${v.name}: cert verify --offline`);
      assert.throws(() => verifyServedBundle(v.bundle, v.bundle.chainId), refused, `${v.name}: the page's check`);
      checks.add(v.name);
    }
    assert.equal(checks.size, FORGERIES.length, "one forged vector per forgery class");
    assert.deepEqual(
      [...statuses].sort(),
      ["expired", "revoked", "suspended", "valid"],
      "a genuine vector of every stored or computed status a bundle can prove here",
    );
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
