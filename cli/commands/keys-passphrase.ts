/**
 * `certchain keys encrypt | change-passphrase`: re-write a key file's private key under a (new)
 * passphrase, in place — a temporary file renamed over the old one, mode 0600 — keeping its public
 * header (public key, role, peer id) unchanged.
 */
import { EXIT } from "../../node/errors.js";
import { loadKeyFile, inspectKeyFile, saveKeyFile } from "../../node/keys/key-file.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { CliError, UsageError } from "../errors.js";
import { PASSPHRASE_FILE_ENV, existingPassphrase, newPassphrase } from "../passphrase.js";

const ENCRYPT = "keys encrypt";
const CHANGE = "keys change-passphrase";

function fileArgument(command: string, positionals: string[]): string {
  const file = positionals[0];
  if (file === undefined) throw new UsageError("missing key FILE", command);
  return file;
}

export const keysEncryptCommand: Command = {
  name: ENCRYPT,
  summary: "encrypt a plaintext key file in place",
  usage: `Encrypt the private key of a plaintext key file under a new passphrase (scrypt + AES-256-GCM),
replacing FILE in one step (mode 0600). The public key, role and peer id stay as they are.

Usage: certchain keys encrypt FILE [--passphrase-file F]

Options:
  --passphrase-file F    the new passphrase is F's first line (F must be mode 0600; default: the file
                         named by $${PASSPHRASE_FILE_ENV}, else asked twice on the terminal)
  -h, --help             show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(ENCRYPT, argv, { "passphrase-file": { type: "string" } }, 1);
    const file = fileArgument(ENCRYPT, args.positionals);
    if ((await inspectKeyFile(file)).encryption !== null)
      throw new CliError(`${file} is already encrypted; to change its passphrase: certchain keys change-passphrase ${file}`);
    // Reading the plaintext key is what this command is for; the file's permissions are checked as always.
    const key = await loadKeyFile(file, { allowPlaintext: true });
    const passphrase = await newPassphrase(ENCRYPT, io, stringFlag(ENCRYPT, args, "passphrase-file"), file);
    await saveKeyFile(file, key, { passphrase }, key.role, key.peerId);
    io.out(`encrypted ${file}`);
    return EXIT.OK;
  },
};

export const keysChangePassphraseCommand: Command = {
  name: CHANGE,
  summary: "re-encrypt a key file under a new passphrase",
  usage: `Decrypt FILE with its passphrase and encrypt it again under a new one, replacing FILE in one step
(mode 0600). The public key, role and peer id stay as they are.

Usage: certchain keys change-passphrase FILE [--passphrase-file OLD] [--new-passphrase-file NEW]

Options:
  --passphrase-file OLD       the current passphrase is OLD's first line (default: the file named by
                              $${PASSPHRASE_FILE_ENV}, else asked on the terminal)
  --new-passphrase-file NEW   the new passphrase is NEW's first line (default: asked twice on the terminal)
  -h, --help                  show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(CHANGE, argv, { "passphrase-file": { type: "string" }, "new-passphrase-file": { type: "string" } }, 1);
    const file = fileArgument(CHANGE, args.positionals);
    if ((await inspectKeyFile(file)).encryption === null) throw new CliError(`${file} is not encrypted; to encrypt it: certchain keys encrypt ${file}`);
    const key = await loadKeyFile(file, { passphrase: await existingPassphrase(CHANGE, io, stringFlag(CHANGE, args, "passphrase-file"), file) });
    // Not $CERTCHAIN_PASSPHRASE_FILE for the new one: it names the current passphrase.
    const passphrase = await newPassphrase(CHANGE, io, stringFlag(CHANGE, args, "new-passphrase-file"), file, "--new-passphrase-file", false);
    await saveKeyFile(file, key, { passphrase }, key.role, key.peerId);
    io.out(`changed the passphrase of ${file}`);
    return EXIT.OK;
  },
};
