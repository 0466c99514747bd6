/** `certchain keys generate | show`: Ed25519 key files (mode 0600). */
import { stat } from "node:fs/promises";
import { generateKeyPair, loadKeyFile, saveKeyFile } from "../../node/keys/key-file.js";
import { EXIT } from "../../node/errors.js";
import { parseCommandArgs, requiredFlag, stringFlag } from "../args.js";
import { type Command, commandGroup } from "../command.js";
import { CliError, UsageError } from "../errors.js";

const ROLE = /^[a-z0-9:._-]{1,64}$/;

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
  summary: "write a new Ed25519 key file and print its public key",
  usage: `Write a new Ed25519 key pair to FILE (mode 0600) and print its public key (hex).

Usage: certchain keys generate --out FILE [--role ROLE] [--force]

Options:
  --out FILE     where to write the key file (required)
  --role ROLE    what the key is for, e.g. consensus or issuer:market-regulation (informational)
  --force        overwrite FILE if it exists
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(GENERATE, argv, { out: { type: "string" }, role: { type: "string" }, force: { type: "boolean" } });
    const out = requiredFlag(GENERATE, args, "out");
    const role = stringFlag(GENERATE, args, "role");
    if (role !== undefined && !ROLE.test(role)) throw new UsageError("--role must be 1-64 characters of a-z 0-9 : . _ -", GENERATE);
    if (args.values.force !== true && (await exists(out))) throw new CliError(`${out} exists; use --force to overwrite it`);
    const pair = generateKeyPair();
    await saveKeyFile(out, pair, role);
    io.out(pair.publicKey);
    return EXIT.OK;
  },
};

export const keysShowCommand: Command = {
  name: SHOW,
  summary: "print the public key of a key file",
  usage: `Print the public key (hex) of an Ed25519 key file. The private key is never printed.

Usage: certchain keys show FILE

Options:
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(SHOW, argv, {}, 1);
    const file = args.positionals[0];
    if (file === undefined) throw new UsageError("missing key FILE", SHOW);
    const key = await loadKeyFile(file);
    io.out(key.publicKey);
    return EXIT.OK;
  },
};

export const keysCommand: Command = commandGroup("keys", "generate and show Ed25519 key files", "Ed25519 key files (issuer and consensus keys).", [
  { name: "generate", summary: keysGenerateCommand.summary, load: async () => keysGenerateCommand },
  { name: "show", summary: keysShowCommand.summary, load: async () => keysShowCommand },
]);
