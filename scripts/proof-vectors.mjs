#!/usr/bin/env node
/**
 * Writes docs/vectors/proof-vectors.json: a trusted genesis, genuine proof bundles with the status they
 * prove, and one forged bundle per forgery class (test/helpers/proof-forgeries.ts) with the check that
 * must refuse it. For independent verifiers; test/unit/proof.test.ts checks the file's verdicts.
 * Run after `npm run build`: node scripts/proof-vectors.mjs
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { buildProofBundle } from "../dist/node/ledger/proof-build.js";
import { verifyAbsence, verifyBundle } from "../dist/node/chain/proof/verify.js";
import { makeProofChain, makeSuspensionChain } from "../dist/test/helpers/proof-chain.js";
import { FORGERIES } from "../dist/test/helpers/proof-forgeries.js";

const pc = await makeProofChain("vector-chain");
const genesis = pc.chain.spec.genesis;
const bundleOf = async (id) => JSON.parse(JSON.stringify(await buildProofBundle(pc.chain.spec, pc.store, id)));
const vectors = [];
for (const [name, doc] of [
  ["genuine: valid", pc.valid],
  ["genuine: revoked (issued at index 2 of a 7-transaction block, revoked alone in block 2)", pc.revoked],
  ["genuine: expired", pc.expired],
]) {
  const bundle = await bundleOf(doc.certificateId);
  vectors.push({ name, bundle, expect: { status: verifyBundle(bundle, genesis).status } });
}
{
  // A proof of absence: what GET /certificates/:id/proof serves (with 404) for an id the chain does not hold.
  const bundle = await bundleOf("BL-NEVER-ISSUED");
  verifyAbsence(bundle, genesis);
  vectors.push({
    name: "genuine: absent (no certificate of that id; the state proof ends in an empty subtree or another id's leaf)",
    bundle,
    expect: { absent: true },
  });
}
{
  // A suspension: its own chain (a review rule declaring it), so the vector carries its own genesis.
  const sc = await makeSuspensionChain("vector-suspension-chain");
  const bundle = JSON.parse(JSON.stringify(await buildProofBundle(sc.chain.spec, sc.store, sc.qualification.certificateId)));
  vectors.push({
    name: "genuine: suspended (a qualification whose identity proof was revoked, under a rule declaring onBasisRevoked: suspend; its own genesis)",
    genesis: sc.chain.spec.genesis,
    bundle,
    expect: { status: verifyBundle(bundle, sc.chain.spec.genesis).status },
  });
}
for (const [name, forge, check] of FORGERIES) {
  const bundle = await bundleOf(pc.revoked.certificateId);
  forge(bundle, pc);
  let refusal;
  try {
    verifyBundle(bundle, genesis);
  } catch (err) {
    refusal = err.message;
  }
  if (refusal === undefined) throw new Error(`forgery "${name}" was not refused`);
  vectors.push({ name: `forged: ${name}`, bundle, expect: { refused: check, message: refusal } });
}
const file = {
  about:
    "certchain-proof/2 test vectors (docs/proof-format.md §9): check each bundle against `genesis` (a vector's own `genesis` when it has one); a genuine one proves `expect.status` (as of its latest block), a genuine proof of absence (`expect.absent`, no events) proves the id unknown as of its latest block, a forged one must be refused (`expect.refused` names the check of this implementation that refuses it).",
  genesis,
  vectors,
};
const out = fileURLToPath(new URL("../docs/vectors/proof-vectors.json", import.meta.url));
// One vector a line: compact, and a diff shows which vectors changed.
const lines = [`{"about":${JSON.stringify(file.about)},`, `"genesis":${JSON.stringify(genesis)},`, `"vectors":[`];
lines.push(vectors.map((v) => JSON.stringify(v)).join(",\n"), "]}");
await writeFile(out, `${lines.join("\n")}\n`);
console.log(`wrote ${vectors.length} vectors to ${out}`);
