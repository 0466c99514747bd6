/** `certchain keys generate | show`, and the group with `encrypt` and `change-passphrase` (keys-passphrase.ts). */
import { stat } from "node:fs/promises";
import { EXIT } from "../../node/errors.js";
import { KEY_ROLE, P2P_ROLE, generateKeyPair, inspectKeyFile, saveKeyFile } from "../../node/keys/key-file.js";
import { modeString } from "../../node/keys/private-file.js";
import { parseCommandArgs, requiredFlag, stringFlag } from "../args.js";
import { type Command, commandGroup } from "../command.js";
import { CliError, UsageError } from "../errors.js";
import { KEY_PROTECTION_OPTIONS, keyProtectionFrom, keyProtectionHelp } from "../passphrase.js";

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

const GENERATE = "keys generate";
const SHOW = "keys show";

export const keysGenerateCommand: Command = {
  name: GENERATE,
  summary: "write a new Ed25519 key file (encrypted) and print its public key",
  usage: `Write a new Ed25519 key pair to FILE (mode 0600), its private key encrypted under a passphrase
(scrypt + AES-256-GCM), and print its public key (hex) — or, with --p2p, its libp2p peer id.

Usage: certchain keys generate --out FILE [--role ROLE | --p2p] [--passphrase-file F | --plaintext-keys] [--force]

Options:
  --out FILE             where to write the key file (required)
  --role ROLE            what the key is for, e.g. consensus or issuer:market-regulation (informational)
  --p2p                  a node's libp2p identity (role p2p; the file also holds the peer id)
${keyProtectionHelp(25, "store the private key unencrypted (local testnets only)")}
  --force                overwrite FILE if it exists
  -h, --help             show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(GENERATE, argv, {
      out: { type: "string" },
      role: { type: "string" },
      p2p: { type: "boolean" },
      force: { type: "boolean" },
      ...KEY_PROTECTION_OPTIONS,
    });
    const out = requiredFlag(GENERATE, args, "out");
    const p2p = args.values.p2p === true;
    const role = stringFlag(GENERATE, args, "role");
    if (role !== undefined && !KEY_ROLE.test(role)) throw new UsageError("--role must be 1-64 characters of a-z 0-9 : . _ -", GENERATE);
    if (p2p && role !== undefined) throw new UsageError("--p2p and --role exclude each other (a p2p key's role is p2p)", GENERATE);
    if (role === P2P_ROLE) throw new UsageError("for a p2p key use --p2p", GENERATE);
    if (args.values.force !== true && (await exists(out))) throw new CliError(`${out} exists; use --force to overwrite it`);
    const protection = await keyProtectionFrom(GENERATE, io, args, out);
    const pair = generateKeyPair();
    if (p2p) {
      // Loaded lazily: libp2p's crypto is not needed for the other keys.
      const { savePeerKeyFile } = await import("../../node/network/identity.js");
      io.out((await savePeerKeyFile(out, pair, protection)).peerId);
    } else {
      await saveKeyFile(out, pair, protection, role);
      io.out(pair.publicKey);
    }
    if ("plaintext" in protection) io.err(`${out}: the private key is stored in plaintext: local testnet only`);
    return EXIT.OK;
  },
};

export const keysShowCommand: Command = {
  name: SHOW,
  summary: "print the public key, role and protection of a key file",
  usage: `Print the public facts of a key file: its public key (hex), role, peer id (p2p keys), whether
the private key is encrypted, and its permissions. Needs no passphrase; the private key is never printed.

Usage: certchain keys show FILE

Options:
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(SHOW, argv, {}, 1);
    const file = args.positionals[0];
    if (file === undefined) throw new UsageError("missing key FILE", SHOW);
    const info = await inspectKeyFile(file, { allowOpen: true });
    io.out(`public key   ${info.publicKey}`);
    io.out(`role         ${info.role ?? "(none)"}`);
    if (info.peerId !== undefined) io.out(`peer id      ${info.peerId}`);
    const e = info.encryption;
    io.out(`encrypted    ${e === null ? "no: the private key is in plaintext" : `yes: scrypt N=${e.N} r=${e.r} p=${e.p}, AES-256-GCM`}`);
    const tooOpen = (info.mode & 0o077) !== 0;
    io.out(`permissions  ${modeString(info.mode)}${tooOpen ? `: too open, refused when loaded; chmod 600 ${file}` : ""}`);
    return EXIT.OK;
  },
};

export const keysCommand: Command = commandGroup(
  "keys",
  "generate, show and encrypt key files",
  "Ed25519 key files (issuer, consensus and p2p keys): one JSON format, the private key encrypted under a passphrase.",
  [
    { name: "generate", summary: keysGenerateCommand.summary, load: async () => keysGenerateCommand },
    { name: "show", summary: keysShowCommand.summary, load: async () => keysShowCommand },
    { name: "encrypt", summary: "encrypt a plaintext key file in place", load: async () => (await import("./keys-passphrase.js")).keysEncryptCommand },
    {
      name: "change-passphrase",
      summary: "re-encrypt a key file under a new passphrase",
      load: async () => (await import("./keys-passphrase.js")).keysChangePassphraseCommand,
    },
  ],
);
