/**
 * `certchain node init | card | join | admit`: one department's side of the key ceremony, on its
 * own server. Keys never leave the home; the card (public facts, signed) and the genesis are what
 * departments exchange.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { EXIT } from "../../node/errors.js";
import type { NetworkPeer } from "../../node/network/network.js";
import { listFlag, parseCommandArgs, requiredFlag, stringFlag } from "../args.js";
import { type Command, commandGroup } from "../command.js";
import { UsageError } from "../errors.js";
import { KEY_PROTECTION_OPTIONS, keyProtectionFrom, keyProtectionHelp } from "../passphrase.js";

const INIT = "node init";
const CARD = "node card";
const JOIN = "node join";
const ADMIT = "node admit";
const P2P_CODE = 421;

/** HOST:PORT (an IPv6 host in brackets) → {host, port}. */
export function parseHostPort(command: string, flag: string, value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (m === null || port < 1 || port > 65535) throw new UsageError(`--${flag} must be HOST:PORT (port 1-65535), not "${value}"`, command);
  return { host: (m[1] ?? m[2]) as string, port };
}

/** A bootstrap peer /ip4/…/tcp/…/p2p/PEERID → {peerId, address}. */
export function parseBootstrap(command: string, value: string): NetworkPeer {
  let addr: ReturnType<typeof multiaddr>;
  try {
    addr = multiaddr(value);
  } catch {
    throw new UsageError(`--bootstrap "${value}" is not a multiaddr`, command);
  }
  const peerId = addr.getComponents().find((c) => c.code === P2P_CODE)?.value;
  if (peerId === undefined) throw new UsageError(`--bootstrap "${value}" must end in /p2p/PEERID`, command);
  return { peerId, address: addr.decapsulateCode(P2P_CODE).toString() };
}

export const nodeInitCommand: Command = {
  name: INIT,
  summary: "make this node's home: keys, config and its signed node card",
  usage: `Make a node's home on this server: its keys (a validator: consensus key, the department's
issuer key and p2p key; a follower: p2p key only) in DIR (mode 0700, keys 0600), config.toml, and
DIR/card.json, the node card: public facts only (name, department, role, consensus public key, peer
id, public p2p address, issuer public keys), signed by the consensus key (a follower's by its p2p key)
so it cannot be altered in transit. Send the card to whoever builds genesis (certchain genesis build);
a follower's card goes to the validators that admit it (certchain node admit). Keys never leave DIR.

Usage: certchain node init --home DIR --department ID --name N --p2p ADDR --rpc HOST:PORT
                           [--listen MULTIADDR] [--public-url URL] [--follower] [--bootstrap ADDR/p2p/ID …]
                           [--passphrase-file F | --plaintext-keys]

Options:
  --home DIR            the new home; must not exist or be empty (required)
  --department ID       the department running the node, as in the genesis template (required)
  --name N              the node's name, e.g. ps-node1 (required)
  --p2p ADDR            public p2p address other nodes dial, on the card and in genesis:
                        /ip4/A.B.C.D/tcp/PORT or /dns4/HOST/tcp/PORT (never 0.0.0.0) (required)
  --rpc HOST:PORT       where the RPC listens (required)
  --listen MULTIADDR    where libp2p listens, e.g. /ip4/0.0.0.0/tcp/26656 (default: the --p2p address)
  --public-url URL      the URL the public reaches the RPC at (verification links)
  --follower            a follower: replicates and answers queries, never votes
  --bootstrap ADDR      a peer to dial and admit, /ip4/…/tcp/…/p2p/PEERID (repeatable; a follower's
                        way in: validators of genesis are dialled anyway)
${keyProtectionHelp(22, "store the private keys unencrypted (a local testnet only)")}
  -h, --help            show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(INIT, argv, {
      home: { type: "string" },
      department: { type: "string" },
      name: { type: "string" },
      p2p: { type: "string" },
      rpc: { type: "string" },
      listen: { type: "string" },
      "public-url": { type: "string" },
      follower: { type: "boolean" },
      bootstrap: { type: "string", multiple: true },
      ...KEY_PROTECTION_OPTIONS,
    });
    const home = requiredFlag(INIT, args, "home");
    const department = requiredFlag(INIT, args, "department");
    const name = requiredFlag(INIT, args, "name");
    const p2p = requiredFlag(INIT, args, "p2p");
    const rpc = parseHostPort(INIT, "rpc", requiredFlag(INIT, args, "rpc"));
    const listen = stringFlag(INIT, args, "listen");
    const publicUrl = stringFlag(INIT, args, "public-url");
    const bootstrap = listFlag(args, "bootstrap").map((b) => parseBootstrap(INIT, b));
    const { checkNodeInitOptions, initNode } = await import("../../node/ceremony/node-init.js");
    const options = {
      home,
      department,
      name,
      p2p,
      rpc,
      follower: args.values.follower === true,
      bootstrap,
      ...(listen === undefined ? {} : { listen }),
      ...(publicUrl === undefined ? {} : { publicUrl }),
    };
    // Every flag is checked before the passphrase is asked for.
    checkNodeInitOptions({ ...options, keys: { plaintext: true } });
    const keys = await keyProtectionFrom(INIT, io, args, `the keys of ${home}`);
    const { home: made, card, cardFile } = await initNode({ ...options, keys });
    io.out(`home       ${made} (mode 0700; its keys never leave it)`);
    io.out(`role       ${card.role} of ${card.department}`);
    io.out(`peer id    ${card.peerId}`);
    io.out(`p2p        ${card.address}`);
    if (card.consensusKey !== undefined) io.out(`consensus  ${card.consensusKey}`);
    for (const k of card.issuerKeys) io.out(`issuer     ${k}`);
    io.out(`card       ${cardFile}`);
    io.out("");
    io.out(
      card.role === "validator"
        ? "send the card (public, no secrets) to whoever builds genesis; then: certchain node join --home DIR --genesis FILE"
        : "send the card to the validators that admit you (certchain node admit); then: certchain node join --home DIR --genesis FILE",
    );
    return EXIT.OK;
  },
};

export const nodeCardCommand: Command = {
  name: CARD,
  summary: "print this node's card (public, signed)",
  usage: `Print DIR/card.json, the node card, after checking its signature.

Usage: certchain node card --home DIR

Options:
  --home DIR     the node's home (required)
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(CARD, argv, { home: { type: "string" } });
    const home = requiredFlag(CARD, args, "home");
    const { cardFileOf, cardText, readCardFile } = await import("../../node/ceremony/card-file.js");
    io.out(cardText(await readCardFile(cardFileOf(home))).trimEnd());
    return EXIT.OK;
  },
};

export const nodeJoinCommand: Command = {
  name: JOIN,
  summary: "check a genesis against this node's card and install it",
  usage: `Check FILE (a valid genesis; for a validator, its card in it unchanged: consensus key, peer id,
address, name, department, issuer keys) and install it as DIR/genesis.json. Prints the chain id and the
genesis hash: compare them with the other departments out of band before starting. Nothing is written
on any error; a home that holds another genesis is refused.

Usage: certchain node join --home DIR --genesis FILE

Options:
  --home DIR       the node's home (required)
  --genesis FILE   the genesis built from the cards (required)
  -h, --help       show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(JOIN, argv, { home: { type: "string" }, genesis: { type: "string" } });
    const home = requiredFlag(JOIN, args, "home");
    const genesis = requiredFlag(JOIN, args, "genesis");
    const { joinChain } = await import("../../node/ceremony/join.js");
    const r = await joinChain(home, genesis);
    io.out(`chain id      ${r.chainId}`);
    io.out(`genesis hash  ${r.genesisHash}`);
    io.out(r.alreadyJoined ? "(this home already held this genesis; nothing written)" : `installed as the ${r.role}'s genesis in ${home}`);
    io.out("compare the chain id and genesis hash with the other departments out of band, then: certchain start --home DIR");
    return EXIT.OK;
  },
};

export const nodeAdmitCommand: Command = {
  name: ADMIT,
  summary: "admit a follower: add its checked card to this node's peers",
  usage: `Check a follower's card (shape and signature by its peer id) and add it to DIR's extra peers
(config p2p.peers): this node then lets the follower connect and dials it. A running node applies it
when reloaded or restarted. Admitting the same card again changes nothing.

Usage: certchain node admit --home DIR --card FILE

Options:
  --home DIR     the node's home (required)
  --card FILE    the follower's card.json (required)
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(ADMIT, argv, { home: { type: "string" }, card: { type: "string" } });
    const home = requiredFlag(ADMIT, args, "home");
    const cardFile = requiredFlag(ADMIT, args, "card");
    const { admitFollower } = await import("../../node/ceremony/admit.js");
    const { card, change } = await admitFollower(home, cardFile);
    const what = { added: "admitted", updated: "updated the address of", unchanged: "already admitted" }[change];
    io.out(`${what} follower ${card.name} (${card.department}) ${card.peerId} at ${card.address}`);
    if (change !== "unchanged") io.out("a running node applies it when reloaded or restarted");
    return EXIT.OK;
  },
};

export const nodeCommand: Command = commandGroup(
  "node",
  "one node's home: init, card, join, admit, reload, token",
  "One department's node: make its home and card, join a genesis, admit followers, reload a running node.",
  [
    { name: "init", summary: nodeInitCommand.summary, load: async () => nodeInitCommand },
    { name: "card", summary: nodeCardCommand.summary, load: async () => nodeCardCommand },
    { name: "join", summary: nodeJoinCommand.summary, load: async () => nodeJoinCommand },
    { name: "admit", summary: nodeAdmitCommand.summary, load: async () => nodeAdmitCommand },
    {
      name: "reload",
      summary: "make a running node reload its config (peers, log level, admin token)",
      load: async () => (await import("./node-reload.js")).nodeReloadCommand,
    },
    { name: "token", summary: "create the admin token POST /admin/reload asks for", load: async () => (await import("./node-reload.js")).nodeTokenCommand },
  ],
);
