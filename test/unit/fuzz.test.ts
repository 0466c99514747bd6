/**
 * A short seeded pass of every pure fuzz target (test/fuzz/targets.ts), as CI runs it; the long runs
 * are `npm run fuzz -- --runs N --seed S` (README "Fuzzing"). Then the inputs fuzzing once broke, each
 * a regression test of its fix.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { checkBlock, checkCommitCertificate, genesisTip } from "../../node/chain/block.js";
import { checkGenesis } from "../../node/chain/genesis.js";
import { decodeMessage } from "../../node/chain/messages.js";
import { documentMismatchProven } from "../../node/chain/proof/document.js";
import { verifyBundle } from "../../node/chain/proof/verify.js";
import { checkTemplate } from "../../node/chain/template.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { Block, Genesis } from "../../node/chain/types.js";
import { checkConfig } from "../../node/config.js";
import { LedgerError, shownValue } from "../../node/errors.js";
import { buildProofBundle } from "../../node/ledger/proof-build.js";
import { setLogLevel } from "../../node/logger.js";
import { DEFAULT_TEMPLATE, issueTx, licenceDocument, makeTestChain } from "../helpers/chain.js";
import { makeProofChain, servingSync } from "../helpers/proof-chain.js";
import { deepArray } from "../fuzz/arb.js";
import { fuzzTarget } from "../fuzz/run.js";
import { TARGETS } from "../fuzz/targets.js";

/** Inputs per target in CI: a few seconds for all of them together. */
const CI_RUNS = Number(process.env.FUZZ_CI_RUNS ?? 150);
const CI_SEED = Number(process.env.FUZZ_CI_SEED ?? 20261201);

describe("fuzz: a short seeded pass of every target", function () {
  this.timeout(120_000);
  before(() => setLogLevel("silent"));
  after(() => setLogLevel("info"));

  for (const target of TARGETS) {
    it(`${target.name}: ${target.about}`, async () => {
      const armed = await target.setup();
      try {
        const r = await fuzzTarget(target.name, armed, CI_RUNS, CI_SEED);
        assert.equal(r.failure, undefined, r.failure);
        assert.equal(r.inputs, CI_RUNS, "every input was checked");
      } finally {
        await armed.teardown?.();
      }
    });
  }
});

/** Refused with a LedgerError (the point: not a TypeError or RangeError). */
const refused = (fn: () => unknown, code?: string): void => {
  assert.throws(fn, (err: unknown) => err instanceof LedgerError && (code === undefined || err.code === code));
};

/** An object whose conversion to a string throws, as JSON can make it ({"toString": 0}). */
const noString = (): Record<string, unknown> => ({ toString: 0, valueOf: 0 });

describe("fuzz: inputs that once broke a checker", () => {
  const chain = makeTestChain(4, "fuzz-regressions");

  it("error messages show untrusted values bounded and never throw (a department nested deep made checkTransaction throw a RangeError)", () => {
    assert.equal(shownValue(deepArray(200_000)), "an array nested too deep to show");
    assert.equal(shownValue(noString()), '{"toString":0,"valueOf":0}');
    assert.ok(shownValue("x".repeat(100_000)).length < 90);
    const tx = issueTx(chain, licenceDocument(chain));
    assert.throws(
      () => checkTransaction(chain.spec, { ...tx, body: { ...tx.body, department: deepArray(1000) } }),
      (e: unknown) => e instanceof LedgerError && e.code === "TX_UNKNOWN_ISSUER" && e.message.length < 200,
    );
  });

  it("a consensus message of kind __proto__, constructor or toString is MESSAGE_INVALID, not a TypeError", () => {
    for (const kind of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const data = new TextEncoder().encode(`{"kind":"${kind}","height":1,"round":1,"validator":1,"signature":"${"00".repeat(64)}"}`);
      refused(() => decodeMessage(chain.spec, data), "MESSAGE_INVALID");
    }
  });

  it("a sync 'blocks' request that is not JSON is BAD_REQUEST, not a SyntaxError", async () => {
    const pc = await makeProofChain("fuzz-reg-sync");
    const sync = servingSync(pc, "test");
    await assert.rejects(sync.handleRequest("blocks", new Uint8Array([0])), (e: unknown) => e instanceof LedgerError && e.code === "BAD_REQUEST");
  });

  it("commit seals that are null or carry a non-string signature are COMMIT_CERT_INVALID", async () => {
    const pc = await makeProofChain("fuzz-reg-seals");
    const b1 = await pc.store.getBlock(1);
    const header = b1?.block.header as Block["header"];
    const commit = b1?.commit as { seals: unknown[] };
    for (const seals of [
      [null],
      [{ validator: 0, signature: 5 }],
      [{ validator: noString(), signature: "00".repeat(64) }],
      [...commit.seals, { validator: 0, signature: {} }],
    ]) {
      refused(() => checkCommitCertificate(pc.chain.spec, { ...commit, seals }, header), "COMMIT_CERT_INVALID");
    }
  });

  it("a block height that cannot become a string is BLOCK_INVALID", async () => {
    const pc = await makeProofChain("fuzz-reg-height");
    const b1 = await pc.store.getBlock(1);
    const block = { ...b1?.block, header: { ...b1?.block.header, height: noString() } };
    refused(() => checkBlock(pc.chain.spec, block, genesisTip(pc.chain.spec)), "BLOCK_INVALID");
  });

  it("a bundle or document whose genesis hash, chain id or certificate id cannot become a string is refused, not a TypeError", async () => {
    const pc = await makeProofChain("fuzz-reg-doc");
    const bundle = await buildProofBundle(pc.chain.spec, pc.store, pc.valid.certificateId);
    const proven = verifyBundle(bundle, pc.chain.spec.genesis);
    refused(() => verifyBundle({ ...bundle, genesisHash: noString() }, pc.chain.spec.genesis), "PROOF_INVALID");
    for (const change of [{ chainId: noString() }, { certificateId: noString() }]) {
      const why = documentMismatchProven(pc.chain.spec.genesis, proven, { ...pc.valid, ...change });
      assert.match(String(why), /document is (for chain|of certificate)/);
    }
  });

  it("genesis and templates with ids, types or consensus numbers that cannot become strings are CONFIG", () => {
    const g = chain.spec.genesis;
    const dept0 = g.departments[0] as Genesis["departments"][number];
    const bad: unknown[] = [
      { ...g, departments: [{ ...dept0, id: noString() }] },
      { ...g, departments: [{ ...dept0, certificateTypes: [noString()] }] },
      { ...g, departments: [{ ...dept0, issuerKeys: [noString()] }] },
      { ...g, certificateTypes: [{ ...g.certificateTypes[0], id: noString() }] },
      { ...g, certificateTypes: [{ ...g.certificateTypes[0], links: [null] }] },
      { ...g, consensus: { ...g.consensus, maxBlockTxs: noString() } },
      { ...g, validators: [null] },
      { ...g, validators: [{ ...g.validators[0], publicKey: "zz", name: noString() }] },
    ];
    for (const value of bad) refused(() => checkGenesis(value as Genesis), "CONFIG");
    refused(() => checkTemplate({ ...DEFAULT_TEMPLATE, departments: [{ ...DEFAULT_TEMPLATE.departments[0], certificateTypes: [noString()] }] }, "t"), "CONFIG");
  });

  it("a config value nested too deep for JSON.stringify is CONFIG, not a RangeError", () => {
    refused(() => checkConfig({ name: "n", rpc: { port: deepArray(5000) } }, "config.toml"), "CONFIG");
  });
});
