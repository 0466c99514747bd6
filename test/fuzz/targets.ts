/**
 * Fuzz targets: every decoder and checker that takes outside bytes, each with its invariant. A target
 * builds its valid samples once (setup), then checks inputs drawn from `arb`; `check` throws
 * FuzzViolation when the invariant breaks. The invariant everywhere: no throw but a LedgerError where
 * the function may throw, no throw at all where it returns a verdict; plus target-specific ones.
 */
import "../../node/polyfill.js";
import fc from "fast-check";
import { stringify as tomlStringify } from "smol-toml";
import { blockHash, buildBlock, checkBlock, checkCommitCertificate, genesisTip } from "../../node/chain/block.js";
import { CARD_VERSION, type NodeCardBody, cardProblem, cardSigningBytes, checkCard } from "../../node/chain/card.js";
import { checkDocument } from "../../node/chain/document.js";
import { checkGenesis } from "../../node/chain/genesis.js";
import { decodeMessage, encodeMessage, signMessage } from "../../node/chain/messages.js";
import { documentMismatchProven } from "../../node/chain/proof/document.js";
import { verifyBundle } from "../../node/chain/proof/verify.js";
import { checkTemplate } from "../../node/chain/template.js";
import { checkTransaction, signTx } from "../../node/chain/tx.js";
import { applyGovTx, checkGovTransaction, initialGovernance, signGovTx } from "../../node/chain/governance.js";
import type { GovAction, GovTxBody } from "../../node/chain/gov-types.js";
import type { Block, CertificateType, Genesis, IssueTxBody } from "../../node/chain/types.js";
import { checkConfig, parseConfigText } from "../../node/config.js";
import { ConsensusDriver, defaultDriverOptions } from "../../node/consensus/driver.js";
import { ConsensusGossipValidator } from "../../node/consensus/gossip-validator.js";
import { signBytes } from "../../node/crypto/keys.js";
import { peerIdOfEd25519Key } from "../../node/crypto/peer-id.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { LedgerError } from "../../node/errors.js";
import { generateKeyPair } from "../../node/keys/key-file.js";
import { Mempool, defaultMempoolOptions } from "../../node/ledger/mempool.js";
import { buildProofBundle } from "../../node/ledger/proof-build.js";
import { TxGossip, defaultTxGossipOptions } from "../../node/ledger/tx-gossip.js";
import { createLogger, setLogLevel } from "../../node/logger.js";
import { GossipEdge } from "../../node/network/gossip-edge.js";
import { PeerPenalties } from "../../node/network/penalties.js";
import { BlockSync, defaultSyncOptions } from "../../node/sync/sync.js";
import { DAY, DEFAULT_TEMPLATE, T0, claimedResults, issueTx, licenceDocument, makeTestChain } from "../helpers/chain.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { makeProofChain, servingSync } from "../helpers/proof-chain.js";
import { anyNumber, anyString, bytesOf, inputOf, junk, mutantOf } from "./arb.js";

/** An input broke an invariant. */
export class FuzzViolation extends Error {
  override name = "FuzzViolation";
}

/** A target ready to check inputs. */
export interface Armed<T> {
  arb: fc.Arbitrary<T>;
  check(input: T): void | Promise<void>;
  teardown?(): Promise<void>;
}

/** A named fuzz target. */
export interface Target {
  name: string;
  /** what it feeds and what it asserts */
  about: string;
  setup(): Promise<Armed<unknown>>;
}

const describeErr = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : String(err));

/** Run `fn`; any throw but a LedgerError is a violation. */
export async function onlyLedgerErrors<T>(what: string, fn: () => T | Promise<T>): Promise<T | LedgerError> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LedgerError) return err;
    throw new FuzzViolation(`${what} threw ${describeErr(err)}`, { cause: err });
  }
}

/** Run `fn`, which must not throw at all. */
async function neverThrows<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new FuzzViolation(`${what} threw ${describeErr(err)}`, { cause: err });
  }
}

const VERDICTS = new Set(["accept", "ignore", "reject"]);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One test chain for all targets (keys are made once). */
let shared: ReturnType<typeof makeTestChain> | null = null;
const chainOnce = (): ReturnType<typeof makeTestChain> => {
  shared ??= makeTestChain(4, "fuzz-chain");
  return shared;
};

/** A fresh valid issue body, for validly signed transactions with absurd payloads. */
function issueBody(chain: ReturnType<typeof makeTestChain>): IssueTxBody {
  return issueTx(chain, licenceDocument(chain)).body as IssueTxBody;
}

/** Valid consensus messages of every kind, signed by validator 1 (a proposal by the round's proposer). */
function sampleMessages(chain: ReturnType<typeof makeTestChain>): unknown[] {
  const { spec, validatorKeys } = chain;
  const key = (i: number): string => validatorKeys[i]?.privateKey as string;
  const txs = [checkTransaction(spec, issueTx(chain, licenceDocument(chain)))];
  const proposer = spec.validatorSetAt(1).proposerIndex(1, 0);
  const block = buildBlock(spec, genesisTip(spec), proposer, T0 + 500, txs, claimedResults(txs));
  const hash = blockHash(block.header);
  const prepare = signMessage(spec, key(1), 1, { kind: "prepare", height: 1, round: 0, blockHash: hash });
  return [
    prepare,
    signMessage(spec, key(1), 1, { kind: "commit", height: 1, round: 0, blockHash: hash }),
    signMessage(spec, key(1), 1, { kind: "round-change", height: 1, round: 1, prepared: null }),
    {
      ...signMessage(spec, key(1), 1, { kind: "round-change", height: 1, round: 1, prepared: { round: 0, blockHash: hash } }),
      preparedBlock: block,
      preparedCertificate: [prepare],
    },
    signMessage(spec, key(proposer), proposer, { kind: "proposal", height: 1, round: 0, blockHash: hash, block }),
  ];
}

/** Validly signed votes with fuzzed heights, rounds and hashes: they pass decoding and reach the driver. */
function signedVotes(chain: ReturnType<typeof makeTestChain>): fc.Arbitrary<Uint8Array> {
  const { spec, validatorKeys } = chain;
  const height = fc.oneof(fc.nat(5), fc.maxSafeInteger(), fc.constant(Number.MAX_SAFE_INTEGER));
  const round = fc.oneof(fc.nat(5), fc.maxSafeInteger());
  const hash = fc.oneof(fc.constant("ab".repeat(32)), fc.stringMatching(/^[0-9a-f]{64}$/));
  return fc
    .record({ v: fc.nat(validatorKeys.length - 1), kind: fc.constantFrom("prepare", "commit", "round-change"), height, round, hash, pr: fc.option(fc.nat(5)) })
    .map(({ v, kind, height: h, round: r, hash: bh, pr }) => {
      const key = validatorKeys[v]?.privateKey as string;
      const m =
        kind === "round-change"
          ? signMessage(spec, key, v, { kind: "round-change", height: h, round: r, prepared: pr === null ? null : { round: pr, blockHash: bh } })
          : signMessage(spec, key, v, { kind: kind as "prepare" | "commit", height: h, round: r, blockHash: bh });
      return encodeMessage(m);
    });
}

/** A consensus driver on a fresh in-memory chain, as a validator of `chain`. */
async function driverFor(chain: ReturnType<typeof makeTestChain>): Promise<{ driver: ConsensusDriver; mempool: Mempool; store: MemoryStore }> {
  const store = new MemoryStore();
  const mempool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
  const driver = new ConsensusDriver(defaultDriverOptions, {
    spec: chain.spec,
    store,
    mempool,
    clock: new ManualClock(T0 + 1000),
    log: createLogger("fuzz"),
    signer: { publicKey: chain.validatorKeys[0]?.publicKey as string, privateKey: chain.validatorKeys[0]?.privateKey as string },
    publish: async () => {},
  });
  await driver.start();
  return { driver, mempool, store };
}

const TOML_BASE = {
  name: "node1",
  department: "public-security",
  genesisFile: "genesis.json",
  consensusKeyFile: "consensus.key",
  p2pKeyFile: "p2p.key",
  dataDir: "data",
  p2p: { listen: ["/ip4/127.0.0.1/tcp/26600"], peers: [] },
  rpc: { host: "127.0.0.1", port: 26700, rateLimit: { writes: 10 } },
  mempool: { maxTxs: 1000 },
  network: { penalties: { threshold: 5 } },
  log: { level: "info" },
};

/** Every target, in the order the runner takes them. */
export const TARGETS: Target[] = [
  {
    name: "tx",
    about: "checkTransaction on mutants of a signed issue, junk, and validly signed issues with absurd payloads",
    async setup() {
      const chain = chainOnce();
      const valid = issueTx(chain, licenceDocument(chain));
      const key = chain.issuers.get("market-regulation")?.privateKey as string;
      const body = issueBody(chain);
      const signed = inputOf(body.payload).map((payload) => {
        try {
          return signTx({ ...body, payload } as IssueTxBody, key);
        } catch {
          return { body: { ...body, payload }, signature: "00".repeat(64) };
        }
      });
      return {
        arb: fc.oneof({ weight: 3, arbitrary: inputOf(valid) }, { weight: 1, arbitrary: signed }),
        async check(input) {
          await onlyLedgerErrors("checkTransaction", () => checkTransaction(chain.spec, input));
        },
      };
    },
  },
  {
    name: "gov-tx",
    about:
      "checkGovTransaction on mutants of signed proposals (each action) and votes, and validly signed ones with absurd payloads; applyGovTx on what passes",
    async setup() {
      const chain = chainOnce();
      const key = chain.validatorKeys[0] as { publicKey: string; privateKey: string };
      const department = chain.spec.validators[0]?.department as string;
      const envelope = { chainId: chain.spec.chainId, department, signer: key.publicKey, nonce: "0".repeat(32), createdAt: T0 };
      const consensus = generateKeyPair();
      const cardBody: NodeCardBody = {
        version: CARD_VERSION,
        name: "node9",
        department,
        role: "validator",
        consensusKey: consensus.publicKey,
        peerId: peerIdOfEd25519Key(generateKeyPair().publicKey),
        address: "/ip4/10.0.0.9/tcp/26600",
        issuerKeys: [generateKeyPair().publicKey],
      };
      const card = { ...cardBody, signature: signBytes(consensus.privateKey, cardSigningBytes(cardBody)) };
      const actions: GovAction[] = [
        { type: "add-validator", card },
        { type: "remove-validator", publicKey: key.publicKey },
        { type: "add-department", department: { id: "water", name: { en: "W", zh: "W" }, issuerKeys: [], certificateTypes: [] } },
        { type: "add-issuer-key", department, publicKey: generateKeyPair().publicKey },
        { type: "set-certificate-type", certificateType: chain.spec.genesis.certificateTypes[0] as CertificateType },
        { type: "adopt-review-rules", reviewRules: { version: "v9", rules: [] } },
        { type: "set-consensus-params", consensus: chain.spec.consensus },
      ];
      const txs = [
        ...actions.map((action) => signGovTx({ ...envelope, kind: "gov-propose", payload: { action } }, key.privateKey)),
        signGovTx({ ...envelope, kind: "gov-vote", payload: { proposal: 1, approve: true } }, key.privateKey),
      ];
      const signed = inputOf(actions[2]).map((action) => {
        const body = { ...envelope, kind: "gov-propose", payload: { action } } as GovTxBody;
        try {
          return signGovTx(body, key.privateKey);
        } catch {
          return { body, signature: "00".repeat(64) };
        }
      });
      const state = initialGovernance(chain.spec.genesis);
      return {
        arb: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...txs).chain((tx) => inputOf(tx)) }, { weight: 1, arbitrary: signed }),
        async check(input) {
          const checked = await onlyLedgerErrors("checkGovTransaction", () => checkGovTransaction(chain.spec.chainId, chain.spec.timeLimits, input));
          if (checked instanceof LedgerError) return;
          const r = await neverThrows("applyGovTx", () => applyGovTx(state, undefined, checked, { height: 2 }));
          if (r.receipt.status === "rejected" && r.state !== state) throw new FuzzViolation("a refused governance transaction changed the state");
        },
      };
    },
  },
  {
    name: "tx-batch",
    about: "the tx gossip batch decoder (TxGossip.handleBatch) on bytes of mutated batches: a verdict, never a throw",
    async setup() {
      const chain = chainOnce();
      const store = new MemoryStore();
      const mempool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store, clock: new ManualClock(T0 + DAY) });
      const gossip = new TxGossip(defaultTxGossipOptions, {
        mempool,
        clock: new ManualClock(T0),
        log: createLogger("fuzz"),
        publish: async () => [],
        onAdmitted: () => {},
      });
      const valid = { txs: [issueTx(chain, licenceDocument(chain)), issueTx(chain, licenceDocument(chain))] };
      return {
        arb: bytesOf(inputOf(valid)),
        async check(input) {
          const verdict = await neverThrows("handleBatch", () => gossip.handleBatch(input as Uint8Array));
          if (!VERDICTS.has(verdict)) throw new FuzzViolation(`handleBatch answered ${String(verdict)}`);
        },
      };
    },
  },
  {
    name: "consensus-decode",
    about: "decodeMessage on bytes of mutated messages of every kind (nested signatures and blocks included)",
    async setup() {
      const chain = chainOnce();
      const samples = sampleMessages(chain);
      return {
        arb: fc.oneof(...samples.map((s) => bytesOf(inputOf(s)))),
        async check(input) {
          await onlyLedgerErrors("decodeMessage", () => decodeMessage(chain.spec, input as Uint8Array));
        },
      };
    },
  },
  {
    name: "consensus-gossip",
    about: "the consensus gossip validator with a live driver: mutated messages and validly signed votes at absurd heights and rounds",
    async setup() {
      const chain = chainOnce();
      const { driver } = await driverFor(chain);
      const edge = new ConsensusGossipValidator({ spec: chain.spec, driver, log: createLogger("fuzz") });
      const samples = sampleMessages(chain);
      return {
        arb: fc.oneof({ weight: 3, arbitrary: fc.oneof(...samples.map((s) => bytesOf(inputOf(s)))) }, { weight: 2, arbitrary: signedVotes(chain) }),
        async check(input) {
          const verdict = await neverThrows("ConsensusGossipValidator.validate", () => edge.validate(input as Uint8Array));
          if (!VERDICTS.has(verdict)) throw new FuzzViolation(`validate answered ${String(verdict)}`);
        },
        teardown: () => driver.stop(),
      };
    },
  },
  {
    name: "sync-request",
    about: "BlockSync.handleRequest (serving peers) on any request name and body",
    async setup() {
      const pc = await makeProofChain("fuzz-sync");
      const sync = servingSync(pc, "fuzz");
      const body = bytesOf(inputOf({ from: 1, max: 2 }));
      return {
        arb: fc.tuple(fc.oneof(fc.constantFrom("status", "blocks", "blocks"), anyString), body),
        async check(input) {
          const [name, data] = input as [string, Uint8Array];
          await onlyLedgerErrors("handleRequest", () => sync.handleRequest(name, data));
        },
      };
    },
  },
  {
    name: "sync-response",
    about: "catch-up against a peer answering fuzzed status and blocks responses: never a throw, never a block that is not the chain's",
    async setup() {
      const pc = await makeProofChain("fuzz-sync-response");
      const spec = pc.chain.spec;
      const head = pc.store.head()?.height as number;
      const blocks = (await pc.store.getBlocks(1, head)).map((b) => ({ block: b?.block, commit: b?.commit }));
      const realHash = new Map((await pc.store.getBlocks(1, head)).map((b) => [b?.block.header.height, b?.hash]));
      const status = inputOf({ height: head, hash: pc.store.head()?.hash });
      const response = fc.oneof(inputOf({ blocks }), inputOf({ blocks: blocks.slice(1) }), inputOf({ blocks: [blocks[0]] }));
      return {
        arb: fc.tuple(bytesOf(status), fc.array(bytesOf(response), { minLength: 1, maxLength: 3 })),
        async check(input) {
          const [statusBytes, responses] = input as [Uint8Array, Uint8Array[]];
          let tip = { height: 0, hash: spec.genesisHash, time: spec.genesis.genesisTime };
          const driver = {
            tip: () => tip,
            applySyncedBlock: async (c: { block: Block; hash: string }) => {
              if (realHash.get(c.block.header.height) !== c.hash)
                throw new FuzzViolation(`sync applied a block that is not the chain's at height ${c.block.header.height}`);
              tip = { height: c.block.header.height, hash: c.hash, time: c.block.header.time };
              return true;
            },
          };
          let served = 0;
          const sync = new BlockSync(defaultSyncOptions, {
            spec,
            store: new MemoryStore(),
            driver: driver as unknown as ConsensusDriver,
            network: {
              connectedPeers: () => ["peer"],
              request: async (_peer, name) => (name === "status" ? statusBytes : (responses[served++] ?? utf8('{"blocks":[]}'))),
            },
            cache: { get: () => undefined },
            clock: new ManualClock(T0),
            log: createLogger("fuzz"),
          });
          await neverThrows("BlockSync round", () => (sync as unknown as { run(): Promise<void> }).run());
        },
      };
    },
  },
  {
    name: "sync-block",
    about: "checkBlock and checkCommitCertificate on mutants of a committed block and its commit certificate",
    async setup() {
      const pc = await makeProofChain("fuzz-block");
      const spec = pc.chain.spec;
      const b1 = await pc.store.getBlock(1);
      const tip = { height: 0, hash: spec.genesisHash, time: spec.genesis.genesisTime };
      return {
        arb: fc.tuple(inputOf(b1?.block), inputOf(b1?.commit)),
        async check(input) {
          const [block, commit] = input as [unknown, unknown];
          const checked = await onlyLedgerErrors("checkBlock", () => checkBlock(spec, block, tip));
          const header = checked instanceof LedgerError ? (b1?.block.header as Block["header"]) : checked.block.header;
          await onlyLedgerErrors("checkCommitCertificate", () => checkCommitCertificate(spec, commit, header));
        },
      };
    },
  },
  {
    name: "gossip-frame",
    about: "the gossip edge's validation of any frame on either topic (size limit, handler verdicts, penalty box)",
    async setup() {
      const chain = chainOnce();
      const { driver, mempool } = await driverFor(chain);
      const consensus = new ConsensusGossipValidator({ spec: chain.spec, driver, log: createLogger("fuzz") });
      const txs = new TxGossip(defaultTxGossipOptions, {
        mempool,
        clock: new ManualClock(T0),
        log: createLogger("fuzz"),
        publish: async () => [],
        onAdmitted: () => {},
      });
      const edge = new GossipEdge(
        { topicPrefix: "/certchain/fuzz", maxGossipBytes: 64 * 1024 },
        {
          onTransactions: (d) => txs.handleBatch(d),
          onConsensus: (d) => consensus.validate(d),
          penalties: new PeerPenalties(),
          clock: new ManualClock(T0),
          log: createLogger("fuzz"),
          hangUp: () => {},
        },
      );
      const validate = (edge as unknown as { validate(topic: string, data: Uint8Array, from: string): Promise<string> }).validate.bind(edge);
      const samples = [...sampleMessages(chain), { txs: [issueTx(chain, licenceDocument(chain))] }];
      const frame = fc.oneof(
        ...samples.map((s) => bytesOf(inputOf(s))),
        fc.nat(200_000).map((n) => new Uint8Array(n)),
      );
      return {
        arb: fc.tuple(fc.constantFrom(edge.txTopic, edge.consensusTopic), frame, anyString),
        async check(input) {
          const [topic, data, from] = input as [string, Uint8Array, string];
          const result = await neverThrows("GossipEdge.validate", () => validate(topic, data, from));
          if (!VERDICTS.has(String(result))) throw new FuzzViolation(`validate answered ${String(result)}`);
          if (data.byteLength > 64 * 1024 && String(result) !== "reject") throw new FuzzViolation(`an oversized frame was not rejected`);
        },
        teardown: () => driver.stop(),
      };
    },
  },
  {
    name: "proof",
    about:
      "verifyBundle on mutants of a revoked certificate's bundle, and documentMismatchProven on mutated documents: a mutant that verifies proves the chain's issue and its revocation, nothing else",
    async setup() {
      const pc = await makeProofChain("fuzz-proof");
      const bundle = await buildProofBundle(pc.chain.spec, pc.store, pc.revoked.certificateId);
      const genesis = pc.chain.spec.genesis;
      const proven = verifyBundle(bundle, genesis);
      return {
        arb: fc.tuple(inputOf(bundle), fc.boolean(), inputOf(pc.revoked)),
        async check(input) {
          const [value, trusted, doc] = input as [unknown, boolean, unknown];
          const got = await onlyLedgerErrors("verifyBundle", () => verifyBundle(value, trusted ? genesis : undefined));
          // The state root makes a bundle complete as of its newest block: a mutant that verifies proves the
          // chain's issue and the chain's revocation (leaving it out no longer verifies), never another event.
          if (!(got instanceof LedgerError) && trusted && got.certificateId === proven.certificateId) {
            if (got.issued.txHash !== proven.issued.txHash) throw new FuzzViolation(`a mutated bundle proves issue ${got.issued.txHash}, not the chain's`);
            if (got.revoked?.txHash !== proven.revoked?.txHash) throw new FuzzViolation("a mutated bundle proves another revocation state than the chain's");
          }
          await onlyLedgerErrors("documentMismatchProven", () => documentMismatchProven(genesis, proven, doc));
        },
      };
    },
  },
  {
    name: "document",
    about: "checkDocument (holder documents) on mutants of a licence",
    async setup() {
      const chain = chainOnce();
      const doc = licenceDocument(chain);
      return {
        arb: inputOf(doc),
        async check(input) {
          await onlyLedgerErrors("checkDocument", () => checkDocument(chain.spec, input));
        },
      };
    },
  },
  {
    name: "card",
    about: "checkCard and cardProblem (node cards) on mutants of a signed validator card",
    async setup() {
      const consensus = generateKeyPair();
      const body: NodeCardBody = {
        version: CARD_VERSION,
        name: "node1",
        department: "public-security",
        role: "validator",
        consensusKey: consensus.publicKey,
        peerId: peerIdOfEd25519Key(generateKeyPair().publicKey),
        address: "/ip4/10.0.0.1/tcp/26600",
        issuerKeys: [generateKeyPair().publicKey],
      };
      const card = { ...body, signature: signBytes(consensus.privateKey, cardSigningBytes(body)) };
      return {
        arb: inputOf(card),
        async check(input) {
          await onlyLedgerErrors("checkCard", () => checkCard(input, "fuzz"));
          const problem = await neverThrows("cardProblem", () => cardProblem(input));
          if (problem !== null && typeof problem !== "string") throw new FuzzViolation("cardProblem answered a non-string");
        },
      };
    },
  },
  {
    name: "template",
    about: "checkTemplate (genesis templates) on mutants of the default template",
    async setup() {
      return {
        arb: inputOf(DEFAULT_TEMPLATE),
        async check(input) {
          await onlyLedgerErrors("checkTemplate", () => checkTemplate(input, "fuzz"));
        },
      };
    },
  },
  {
    name: "genesis",
    about: "checkGenesis on mutants of a genesis",
    async setup() {
      const genesis = chainOnce().spec.genesis;
      return {
        arb: inputOf(genesis),
        async check(input) {
          await onlyLedgerErrors("checkGenesis", () => checkGenesis(input as Genesis));
        },
      };
    },
  },
  {
    name: "config",
    about: "config.toml: parseConfigText on mutated and random TOML text, checkConfig on mutated tables",
    async setup() {
      const text = tomlStringify(TOML_BASE);
      const edited = fc.tuple(fc.nat(), fc.nat(40), anyString).map(([at, cut, ins]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + ins + text.slice(i + cut);
      });
      const tomlOf = mutantOf(TOML_BASE).map((v) => {
        try {
          return tomlStringify(v as Record<string, unknown>);
        } catch {
          return text;
        }
      });
      const deep = fc.nat(3000).map((n) => `a = ${"[".repeat(n)}${"]".repeat(n)}\n`);
      const deepTables = fc.nat(300).map((n) => `[${Array.from({ length: n + 1 }, (_, i) => `t${i}`).join(".")}]\nx = 1\n`);
      return {
        arb: fc.oneof(
          { weight: 3, arbitrary: edited.map((t) => ({ text: t })) },
          { weight: 2, arbitrary: tomlOf.map((t) => ({ text: t })) },
          { weight: 1, arbitrary: fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), deep, deepTables).map((t) => ({ text: t })) },
          { weight: 3, arbitrary: inputOf(TOML_BASE).map((raw) => ({ raw })) },
        ),
        async check(input) {
          const { text: t, raw } = input as { text?: string; raw?: unknown };
          if (t !== undefined) {
            const parsed = await onlyLedgerErrors("parseConfigText", () => parseConfigText(t, "fuzz.toml"));
            if (!(parsed instanceof LedgerError)) await onlyLedgerErrors("checkConfig", () => checkConfig(parsed, "fuzz.toml"));
          } else {
            await onlyLedgerErrors("checkConfig", () => checkConfig(raw, "fuzz.toml"));
          }
        },
      };
    },
  },
];

/** Keep fuzzing quiet: the targets log every rejection at debug and some at warn. */
export function quietLogs(): void {
  setLogLevel("silent");
}

export { anyNumber, junk };
