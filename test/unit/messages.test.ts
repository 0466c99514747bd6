import "../../node/polyfill.js";
import assert from "node:assert/strict";
import type { Prepare, UnsignedMessage } from "../../consensus/types.js";
import { blockHash, buildBlock, genesisTip } from "../../node/chain/block.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { Block } from "../../node/chain/types.js";
import { type BlockMessage, decodeMessage, encodeMessage, signMessage } from "../../node/chain/messages.js";
import { generateKeyPair } from "../../node/keys/key-file.js";
import { LedgerError } from "../../node/errors.js";
import { T0, claimedResults, issueTx, licenceDocument, makeTestChain } from "../helpers/chain.js";

const chain = makeTestChain();
const spec = chain.spec;
const key = (i: number): string => chain.validatorKeys[i]?.privateKey as string;
const firstTxs = [checkTransaction(spec, issueTx(chain, licenceDocument(chain)))];
const block: Block = buildBlock(spec, genesisTip(spec), 1, T0 + 1000, firstTxs, claimedResults(firstTxs));

const H = blockHash(block.header);

const sign = (i: number, m: UnsignedMessage<Block>): BlockMessage => signMessage(spec, key(i), i, m);
const prepare = (i: number, round = 0): Prepare => sign(i, { kind: "prepare", height: 1, round, blockHash: H }) as Prepare;
const bytes = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
/** Validator 0's round change to round 1 reporting the block prepared in round 0, with `certificate`. */
const preparedRoundChange = (certificate: Prepare[]): BlockMessage =>
  sign(0, { kind: "round-change", height: 1, round: 1, prepared: { round: 0, blockHash: H }, preparedBlock: block, preparedCertificate: certificate });

describe("consensus messages at the edge", () => {
  const valid: Array<[string, () => BlockMessage]> = [
    ["a prepare", () => prepare(2)],
    ["a commit", () => sign(3, { kind: "commit", height: 1, round: 0, blockHash: H })],
    ["a round-0 proposal", () => sign(1, { kind: "proposal", height: 1, round: 0, blockHash: H, block })],
    ["a round change with nothing prepared", () => sign(0, { kind: "round-change", height: 1, round: 1, prepared: null })],
    ["a round change carrying a prepared block and certificate", () => preparedRoundChange([prepare(0), prepare(1), prepare(2)])],
  ];
  for (const [name, make] of valid) {
    it(`accepts ${name}`, () => {
      const m = make();
      assert.deepEqual(decodeMessage(spec, encodeMessage(m)), JSON.parse(JSON.stringify(m)), name);
    });
  }

  const outsider = generateKeyPair();
  const invalid: Array<[string, () => unknown]> = [
    ["garbage bytes", () => Buffer.from([0xff, 0x00, 0x13])],
    ["unknown kind", () => bytes({ ...prepare(1), kind: "vote" })],
    ["an extra member", () => bytes({ ...prepare(1), extra: true })],
    ["a non-validator index", () => bytes({ ...prepare(1), validator: 7 })],
    ["a negative round", () => bytes({ ...prepare(1), round: -1 })],
    ["a signature by a non-validator key", () => bytes(signMessage(spec, outsider.privateKey, 1, { kind: "prepare", height: 1, round: 0, blockHash: H }))],
    ["a signature by another validator", () => bytes({ ...prepare(1), validator: 2 })],
    ["a changed round after signing", () => bytes({ ...prepare(1), round: 1 })],
    ["a proposal whose block does not hash to blockHash", () => bytes(sign(1, { kind: "proposal", height: 1, round: 0, blockHash: "1".repeat(64), block }))],
    [
      "a justification with a forged round change",
      () =>
        bytes(
          sign(2, {
            kind: "proposal",
            height: 1,
            round: 1,
            blockHash: H,
            block,
            justification: { roundChanges: [{ kind: "round-change", height: 1, round: 1, prepared: null, validator: 3, signature: "00".repeat(64) }] },
          }),
        ),
    ],
    ["a prepared certificate with a forged prepare", () => bytes(preparedRoundChange([prepare(0), prepare(1), { ...prepare(2), signature: "11".repeat(64) }]))],
    [
      "a round change claiming a prepared block without it",
      () => bytes(sign(0, { kind: "round-change", height: 1, round: 1, prepared: { round: 0, blockHash: H } })),
    ],
  ];
  for (const [name, make] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => decodeMessage(spec, make() as Uint8Array),
        (e: unknown) => e instanceof LedgerError && e.code === "MESSAGE_INVALID",
        name,
      );
    });
  }
});
