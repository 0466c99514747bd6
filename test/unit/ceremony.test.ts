/**
 * The key ceremony's pure parts: peer ids read without libp2p, node cards (each altered field and a
 * wrong signer refused), genesis templates, genesis built from cards (a table of bad inputs, order
 * independence), the own-card check of `node join`, and the peer list of a node.
 */
import assert from "node:assert/strict";
import { generateKeyPair as generateLibp2pKey, privateKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey, peerIdFromString } from "@libp2p/peer-id";
import { CARD_VERSION, type NodeCard, type NodeCardBody, cardProblem, cardSigningBytes, publicAddressProblem } from "../../node/chain/card.js";
import { buildGenesis, cardInGenesisProblem, compareNames } from "../../node/chain/ceremony.js";
import { ChainSpec } from "../../node/chain/genesis.js";
import { type GenesisTemplate, checkTemplate } from "../../node/chain/template.js";
import type { NodeConfig } from "../../node/config.js";
import { configuredPeers } from "../../node/configured-peers.js";
import { bytesToHex, hexToBytes } from "../../node/crypto/bytes.js";
import { type KeyPair, signBytes } from "../../node/crypto/keys.js";
import { ed25519KeyOfPeerId, peerIdOfEd25519Key } from "../../node/crypto/peer-id.js";
import { LedgerError } from "../../node/errors.js";
import { generateKeyPair } from "../../node/keys/key-file.js";
import { DEFAULT_TEMPLATE } from "../helpers/chain.js";

/** A validator's keys and its signed card. */
interface TestNode {
  consensus: KeyPair;
  issuer: KeyPair;
  p2p: KeyPair;
  card: NodeCard;
}

/** Sign a card body with a key pair's private key. */
function signed(body: NodeCardBody, signer: KeyPair): NodeCard {
  return { ...body, signature: signBytes(signer.privateKey, cardSigningBytes(body)) };
}

let port = 26600;
function validator(department: string, name: string, host = "127.0.0.1"): TestNode {
  const consensus = generateKeyPair();
  const issuer = generateKeyPair();
  const p2p = generateKeyPair();
  const body: NodeCardBody = {
    version: CARD_VERSION,
    name,
    department,
    role: "validator",
    consensusKey: consensus.publicKey,
    peerId: peerIdOfEd25519Key(p2p.publicKey),
    address: `/ip4/${host}/tcp/${port++}`,
    issuerKeys: [issuer.publicKey],
  };
  return { consensus, issuer, p2p, card: signed(body, consensus) };
}

function follower(name: string): { p2p: KeyPair; card: NodeCard } {
  const p2p = generateKeyPair();
  const body: NodeCardBody = {
    version: CARD_VERSION,
    name,
    department: "public-security",
    role: "follower",
    peerId: peerIdOfEd25519Key(p2p.publicKey),
    address: `/dns4/follower.example.org/tcp/${port++}`,
    issuerKeys: [],
  };
  return { p2p, card: signed(body, p2p) };
}

/** A card changed and signed again by `signer` (a card its owner made, unlike a tampered one). */
function resigned(node: TestNode, change: Partial<NodeCardBody>): NodeCard {
  const { signature: _old, ...body } = node.card;
  return signed({ ...body, ...change }, node.consensus);
}

const DEPARTMENTS = DEFAULT_TEMPLATE.departments.map((d) => d.id);
const four = (): TestNode[] => DEPARTMENTS.map((d, i) => validator(d, `node${i + 1}`));
const sourced = (nodes: Array<{ card: unknown }>): Array<{ source: string; card: unknown }> =>
  nodes.map((n, i) => ({ source: `card${i + 1}.json`, card: n.card }));
const T = Date.UTC(2026, 0, 1);

describe("ceremony: peer ids without libp2p", () => {
  it("reads the Ed25519 key of a peer id and writes the peer id of a key, as libp2p does", async () => {
    for (let i = 0; i < 20; i++) {
      const key = await generateLibp2pKey("Ed25519");
      const peerId = peerIdFromPrivateKey(key).toString();
      const publicKey = bytesToHex(key.publicKey.raw);
      assert.equal(ed25519KeyOfPeerId(peerId), publicKey, `key of ${peerId}`);
      assert.equal(peerIdOfEd25519Key(publicKey), peerId, `peer id of ${publicKey}`);
    }
  });

  it("a libp2p key made from a seed has the peer id of the seed's public key (followers sign with it)", async () => {
    const pair = generateKeyPair();
    const key = privateKeyFromRaw(new Uint8Array([...hexToBytes(pair.privateKey), ...hexToBytes(pair.publicKey)]));
    assert.equal(peerIdFromPrivateKey(key).toString(), peerIdOfEd25519Key(pair.publicKey));
    const message = new Uint8Array([1, 2, 3]);
    assert.equal(bytesToHex(await key.sign(message)), signBytes(pair.privateKey, message), "libp2p and node:crypto sign alike");
  });

  it("refuses what is not the peer id of an Ed25519 key", async () => {
    const secp = peerIdFromPrivateKey(await generateLibp2pKey("secp256k1")).toString();
    const ed = peerIdOfEd25519Key(generateKeyPair().publicKey);
    const cases: Array<[string, unknown]> = [
      ["a secp256k1 peer id", secp],
      ["an RSA-style (sha256) peer id", "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"],
      ["a truncated id", ed.slice(0, -1)],
      ["an id with a non-base58 character", `${ed.slice(0, -1)}0`],
      ["not a string", 42],
      ["empty", ""],
    ];
    for (const [what, id] of cases) assert.equal(ed25519KeyOfPeerId(id), null, what);
    assert.equal(peerIdFromString(secp).type, "secp256k1", "the first case is a real libp2p peer id");
    // One character changed: still the prefix and 38 bytes, so it names another key, never the first.
    const changed = `${ed.slice(0, 20)}${ed[20] === "a" ? "b" : "a"}${ed.slice(21)}`;
    assert.notEqual(ed25519KeyOfPeerId(changed), ed25519KeyOfPeerId(ed));
  });
});

describe("ceremony: node cards", () => {
  const node = validator("market-regulation", "mr-node1");
  const other = validator("housing", "h-node1");

  it("a validator's card checks, and so does a follower's (signed by its p2p key)", () => {
    assert.equal(cardProblem(node.card), null);
    assert.equal(cardProblem(follower("f1").card), null);
    assert.equal(cardProblem(JSON.parse(JSON.stringify(node.card))), null, "after a JSON round trip");
  });

  // [what, the card, the problem expected]
  const refused: Array<[string, () => unknown, RegExp]> = [
    ["a tampered name", () => ({ ...node.card, name: "mr-node2" }), /signature does not verify/],
    ["a tampered address", () => ({ ...node.card, address: "/ip4/10.9.9.9/tcp/26600" }), /signature does not verify/],
    ["a tampered department", () => ({ ...node.card, department: "housing" }), /signature does not verify/],
    ["a tampered issuer key", () => ({ ...node.card, issuerKeys: [other.issuer.publicKey] }), /signature does not verify/],
    ["a tampered peer id", () => ({ ...node.card, peerId: other.card.peerId }), /signature does not verify/],
    ["a swapped consensus key", () => ({ ...node.card, consensusKey: other.consensus.publicKey }), /signature does not verify/],
    ["signed by the issuer key, not the consensus key", () => signed({ ...node.card }, node.issuer), /signature does not verify against its consensus key/],
    [
      "a follower card signed by another key than its peer id's",
      () => signed({ ...follower("f2").card }, node.p2p),
      /signature does not verify against its peer id/,
    ],
    [
      "a validator card turned into a follower's",
      () => ({ ...node.card, role: "follower", consensusKey: undefined, issuerKeys: [] }),
      /signature does not verify/,
    ],
    ["a follower card with a consensus key", () => ({ ...follower("f3").card, consensusKey: node.consensus.publicKey }), /follower card has no consensusKey/],
    ["a follower card with issuer keys", () => ({ ...follower("f4").card, issuerKeys: [node.issuer.publicKey] }), /follower card has no issuer keys/],
    ["a validator card without issuer keys", () => ({ ...node.card, issuerKeys: [] }), /at least one issuer key/],
    ["the consensus key as an issuer key", () => resigned(node, { issuerKeys: [node.consensus.publicKey] }), /consensus key is also listed as an issuer key/],
    ["a repeated issuer key", () => ({ ...node.card, issuerKeys: [node.issuer.publicKey, node.issuer.publicKey] }), /repeats a key/],
    ["an unknown member", () => ({ ...node.card, privateKey: node.consensus.privateKey }), /unknown member "privateKey"/],
    ["version 2", () => ({ ...node.card, version: 2 }), /version must be 1/],
    ["the unspecified address", () => resigned(node, { address: "/ip4/0.0.0.0/tcp/26600" }), /unspecified address/],
    ["an address with /p2p", () => resigned(node, { address: `/ip4/10.0.0.1/tcp/26600/p2p/${node.card.peerId}` }), /is not \/ip4/],
    ["a bad peer id", () => ({ ...node.card, peerId: "peer-1" }), /peerId is not the peer id of an Ed25519 key/],
    ["a bad role", () => ({ ...node.card, role: "observer" }), /role must be/],
    ["a bad signature shape", () => ({ ...node.card, signature: "00" }), /signature must be 64 bytes/],
    ["not an object", () => [node.card], /not a JSON object/],
  ];
  for (const [what, make, problem] of refused) {
    it(`refuses ${what}`, () => {
      const found = cardProblem(make());
      assert.ok(found !== null && problem.test(found), `${what}: got ${found}`);
    });
  }

  it("public addresses: /ip4 and /dns4 with a port, never 0.0.0.0", () => {
    const cases: Array<[string, boolean]> = [
      ["/ip4/127.0.0.11/tcp/26600", true],
      ["/ip4/203.0.113.7/tcp/1", true],
      ["/dns4/node1.housing.gov.example/tcp/26656", true],
      ["/ip4/0.0.0.0/tcp/26600", false],
      ["/ip4/256.1.1.1/tcp/26600", false],
      ["/ip4/10.0.0.1/tcp/0", false],
      ["/ip4/10.0.0.1/tcp/65536", false],
      ["/ip4/10.0.0.1/udp/26600", false],
      ["/ip4/10.0.0.1", false],
      ["/dns4/-bad-.example/tcp/1", false],
      ["10.0.0.1:26600", false],
    ];
    for (const [address, ok] of cases) assert.equal(publicAddressProblem(address) === null, ok, address);
  });
});

describe("ceremony: genesis templates", () => {
  it("the default template (templates/default.json) holds the four departments and four types", () => {
    assert.deepEqual(
      DEFAULT_TEMPLATE.departments.map((d) => d.id),
      ["public-security", "market-regulation", "housing", "government-services"],
    );
    assert.deepEqual(DEFAULT_TEMPLATE.certificateTypes.map((t) => t.id).sort(), [
      "administrative-approval",
      "business-licence",
      "home-purchase-qualification",
      "identity-proof",
    ]);
    assert.ok(DEFAULT_TEMPLATE.reviewRules !== undefined && DEFAULT_TEMPLATE.reviewRules.rules.length > 0);
  });

  const base = (): Record<string, unknown> => structuredClone(DEFAULT_TEMPLATE) as unknown as Record<string, unknown>;
  const edit = (change: (t: GenesisTemplate) => void): Record<string, unknown> => {
    const t = base();
    change(t as unknown as GenesisTemplate);
    return t;
  };
  const refused: Array<[string, unknown, RegExp]> = [
    ["not an object", [], /not a JSON object/],
    ["an unknown member", { ...base(), validators: [] }, /unknown member "validators"/],
    ["a bad chain name", { ...base(), chainName: "Cert Chain" }, /chainName/],
    ["no departments", { ...base(), departments: [] }, /departments must be a non-empty array/],
    [
      "issuer keys in a department",
      edit((t) => Object.assign(t.departments[0] as object, { issuerKeys: [] })),
      /unknown member "issuerKeys" \(issuer keys come from the cards\)/,
    ],
    [
      "a repeated department",
      edit((t) => t.departments.push(structuredClone(t.departments[0]) as never)),
      /department id "public-security" is invalid or repeated/,
    ],
    [
      "a department without names",
      edit((t) => Object.assign(t.departments[1] as object, { name: { en: "Market" } })),
      /department market-regulation: name must be \{en, zh\}/,
    ],
    [
      "a department with an unknown type",
      edit((t) => (t.departments[2] as { certificateTypes: string[] }).certificateTypes.push("tax-receipt")),
      /department housing: unknown type "tax-receipt"/,
    ],
    ["an unknown consensus parameter", { ...base(), consensus: { blockTime: 5 } }, /unknown consensus parameter "blockTime"/],
    ["a consensus parameter that is not an integer", { ...base(), consensus: { roundTimeoutMs: "3s" } }, /consensus.roundTimeoutMs must be an integer/],
    ["impossible consensus parameters", { ...base(), consensus: { roundTimeoutMs: 5000, maxRoundTimeoutMs: 1000 } }, /consensus parameters/],
    [
      "a review rule naming an unknown type",
      edit((t) => (((t.reviewRules as { rules: Array<{ certificateType: string }> }).rules[0] as { certificateType: string }).certificateType = "nope")),
      /unknown certificateType/,
    ],
    ["a type without fields", edit((t) => Object.assign(t.certificateTypes[0] as object, { fields: undefined })), /fields must be an array/],
  ];
  for (const [what, raw, problem] of refused) {
    it(`refuses ${what}, naming the template`, () => {
      assert.throws(
        () => checkTemplate(raw, "tpl.json"),
        (err: unknown) => err instanceof LedgerError && err.code === "CONFIG" && err.message.startsWith("template tpl.json: ") && problem.test(err.message),
        what,
      );
    });
  }

  it("a partial consensus section takes the defaults for the rest", () => {
    const t = checkTemplate({ ...base(), consensus: { roundTimeoutMs: 1000 } }, "t");
    const genesis = buildGenesis(t, sourced(four()), { genesisTime: T });
    assert.equal(genesis.consensus.roundTimeoutMs, 1000);
    assert.equal(genesis.consensus.maxBlockTxs, 1000);
  });
});

describe("ceremony: genesis from cards", () => {
  it("validators in the template's department order, issuer keys in their departments, the same genesis in any card order", () => {
    const nodes = four();
    const extra = validator("public-security", "node10");
    const nine = validator("public-security", "node9");
    const all = [...nodes, extra, nine];
    const genesis = buildGenesis(DEFAULT_TEMPLATE, sourced(all), { genesisTime: T, chainName: "ceremony" });
    assert.deepEqual(
      genesis.validators.map((v) => v.name),
      ["node1", "node9", "node10", "node2", "node3", "node4"],
      "department order, then names in natural order",
    );
    const ps = genesis.departments.find((d) => d.id === "public-security");
    assert.deepEqual(ps?.issuerKeys, [nodes[0]?.issuer.publicKey, nine.issuer.publicKey, extra.issuer.publicKey]);
    for (const [i, d] of genesis.departments.entries()) assert.deepEqual(d.certificateTypes, DEFAULT_TEMPLATE.departments[i]?.certificateTypes, d.id);
    assert.equal(genesis.chainName, "ceremony");
    assert.deepEqual(genesis.reviewRules, DEFAULT_TEMPLATE.reviewRules);
    const hash = new ChainSpec(genesis).genesisHash;
    for (const order of [
      [5, 4, 3, 2, 1, 0],
      [2, 0, 5, 1, 4, 3],
    ]) {
      const shuffled = buildGenesis(DEFAULT_TEMPLATE, sourced(order.map((i) => all[i] as TestNode)), { genesisTime: T, chainName: "ceremony" });
      assert.equal(new ChainSpec(shuffled).genesisHash, hash, `order ${order.join(",")}`);
    }
  });

  it("a department without a card keeps its place, with no issuer key", () => {
    const genesis = buildGenesis(DEFAULT_TEMPLATE, sourced([validator("housing", "h1")]), { genesisTime: T });
    assert.deepEqual(
      genesis.departments.map((d) => d.issuerKeys.length),
      [0, 0, 1, 0],
    );
  });

  it("the same issuer key on two cards of one department counts once", () => {
    const a = validator("housing", "h1");
    const b = validator("housing", "h2");
    const bCard = resigned(b, { issuerKeys: [a.issuer.publicKey] });
    const genesis = buildGenesis(
      DEFAULT_TEMPLATE,
      [
        { source: "a", card: a.card },
        { source: "b", card: bCard },
      ],
      { genesisTime: T },
    );
    assert.deepEqual(genesis.departments.find((d) => d.id === "housing")?.issuerKeys, [a.issuer.publicKey]);
  });

  // [what, the cards (the last is the one named), the problem expected]
  const refused: Array<[string, () => Array<{ card: unknown }>, RegExp]> = [
    ["no cards", () => [], /no validator cards/],
    [
      "a tampered card",
      () => {
        const n = four();
        (n[3] as TestNode).card = { ...(n[3] as TestNode).card, address: "/ip4/10.6.6.6/tcp/1" };
        return n;
      },
      /card card4\.json: signature does not verify/,
    ],
    ["a follower card", () => [...four(), follower("f1")], /card card5\.json: a follower card; followers are not in genesis/],
    [
      "a department not in the template",
      () => [...four(), validator("tax-bureau", "tax1")],
      /card card5\.json: department "tax-bureau" is not in the template/,
    ],
    [
      "an issuer key on another department's card",
      () => {
        const n = four();
        const thief = n[3] as TestNode;
        thief.card = resigned(thief, { issuerKeys: [(n[0] as TestNode).issuer.publicKey] });
        return n;
      },
      /card card4\.json: issuer key [0-9a-f]{16}… is already on card card1\.json of department public-security/,
    ],
    [
      "the same card twice",
      () => {
        const n = four();
        return [...n, n[0] as TestNode];
      },
      /card card5\.json: its name node1 is already on card card1\.json/,
    ],
    [
      "a repeated peer id",
      () => {
        const n = four();
        (n[3] as TestNode).card = resigned(n[3] as TestNode, { peerId: (n[0] as TestNode).card.peerId });
        return n;
      },
      /card card4\.json: its peer id 12D3KooW[^ ]*… is already on card card1\.json/,
    ],
    [
      "a repeated address",
      () => {
        const n = four();
        (n[3] as TestNode).card = resigned(n[3] as TestNode, { address: (n[0] as TestNode).card.address });
        return n;
      },
      /card card4\.json: its address .* is already on card card1\.json/,
    ],
    [
      "a consensus key used as another card's issuer key",
      () => {
        const n = four();
        (n[3] as TestNode).card = resigned(n[3] as TestNode, { issuerKeys: [(n[0] as TestNode).consensus.publicKey] });
        return n;
      },
      /card card4\.json: issuer key .* is already on card card1\.json/,
    ],
    ["a malformed card", () => [...four(), { card: { version: 1 } }], /card card5\.json: name must be/],
  ];
  for (const [what, make, problem] of refused) {
    it(`refuses ${what}, naming the card`, () => {
      assert.throws(
        () => buildGenesis(DEFAULT_TEMPLATE, sourced(make()), { genesisTime: T }),
        (err: unknown) => err instanceof LedgerError && err.code === "CONFIG" && problem.test(err.message),
        what,
      );
    });
  }

  it("names sort naturally, the same on every machine", () => {
    const names = ["node10", "node2", "Node1", "node1", "a", "node02"];
    assert.deepEqual([...names].sort(compareNames), ["Node1", "a", "node1", "node02", "node2", "node10"]);
  });
});

describe("ceremony: a node's own card in genesis (node join)", () => {
  const nodes = four();
  const spec = new ChainSpec(buildGenesis(DEFAULT_TEMPLATE, sourced(nodes), { genesisTime: T }));

  it("finds each validator's card, and a follower's is fine", () => {
    for (const n of nodes) assert.equal(cardInGenesisProblem(spec, n.card), null, n.card.name);
    assert.equal(cardInGenesisProblem(spec, follower("f").card), null);
  });

  it("refuses a genesis without the node, with its card changed, or a follower with a validator's peer id", () => {
    const outsider = validator("housing", "h9");
    assert.match(cardInGenesisProblem(spec, outsider.card) ?? "", /consensus key [0-9a-f]{16}… is not a validator in this genesis/);
    const moved = resigned(nodes[1] as TestNode, { address: "/ip4/10.1.1.1/tcp/9" });
    assert.match(cardInGenesisProblem(spec, moved) ?? "", /validator node2 in this genesis differs from this node's card in address/);
    const newIssuer = resigned(nodes[2] as TestNode, { issuerKeys: [generateKeyPair().publicKey] });
    assert.match(cardInGenesisProblem(spec, newIssuer) ?? "", /is not a housing issuer key in this genesis/);
    const f = follower("f");
    const { signature: _s, ...body } = f.card;
    const impostor = signed({ ...body, peerId: (nodes[0] as TestNode).card.peerId }, nodes[0]?.p2p as KeyPair);
    assert.match(cardInGenesisProblem(spec, impostor) ?? "", /is validator node1's in this genesis/);
  });
});

describe("ceremony: a node's peers (configuredPeers)", () => {
  const nodes = four();
  const spec = new ChainSpec(buildGenesis(DEFAULT_TEMPLATE, sourced(nodes), { genesisTime: T }));
  const config = (peers: NodeConfig["p2p"]["peers"]): NodeConfig => ({
    name: "n",
    department: "housing",
    genesisFile: "genesis.json",
    p2pKeyFile: "p2p.key",
    dataDir: "data",
    p2p: { listen: ["/ip4/127.0.0.1/tcp/1"], peers },
    rpc: { host: "127.0.0.1", port: 2 },
  });

  it("a validator: the other validators of genesis, then its admitted followers", () => {
    const f = follower("f1").card;
    const self = (nodes[0] as TestNode).card.peerId;
    const peers = configuredPeers(config([{ peerId: f.peerId, address: f.address }]), spec, self);
    assert.deepEqual(
      peers.map((p) => p.peerId),
      [...nodes.slice(1).map((n) => n.card.peerId), f.peerId],
    );
    assert.deepEqual(peers[0], { peerId: (nodes[1] as TestNode).card.peerId, address: (nodes[1] as TestNode).card.address }, "genesis's public address");
  });

  it("a follower: every validator and its bootstrap peers; an extra entry for a validator replaces its address", () => {
    const self = follower("f1").card.peerId;
    const other = follower("f2").card;
    const route = { peerId: (nodes[2] as TestNode).card.peerId, address: "/ip4/10.0.0.3/tcp/26600" };
    const peers = configuredPeers(config([route, { peerId: other.peerId, address: other.address }]), spec, self);
    assert.equal(peers.length, 5);
    assert.deepEqual(
      peers.find((p) => p.peerId === route.peerId),
      route,
    );
    assert.ok(!peers.some((p) => p.peerId === self), "never itself");
  });
});
