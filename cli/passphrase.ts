/**
 * Where a key passphrase comes from, in this order: `--passphrase-file FILE` (its first line), the
 * file named by $CERTCHAIN_PASSPHRASE_FILE, a prompt on the terminal without echo (twice for a new
 * passphrase); with none of these (no terminal), a usage error. A passphrase file must be private
 * like a key file (0600); an empty passphrase is refused. And the flags every key-touching command
 * shares: --passphrase-file and --plaintext-keys.
 */
import { type KeyFile, type KeyProtection, inspectKeyFile, loadKeyFile } from "../node/keys/key-file.js";
import { readPrivateFile } from "../node/keys/private-file.js";
import { type OptionSpecs, type ParsedArgs, stringFlag } from "./args.js";
import { CliError, UsageError } from "./errors.js";
import type { CliIo } from "./io.js";

/** The environment variable naming a passphrase file. */
export const PASSPHRASE_FILE_ENV = "CERTCHAIN_PASSPHRASE_FILE";

/** --passphrase-file and --plaintext-keys, for commands that read or write private keys. */
export const KEY_PROTECTION_OPTIONS: OptionSpecs = { "passphrase-file": { type: "string" }, "plaintext-keys": { type: "boolean" } };

/** Help lines of KEY_PROTECTION_OPTIONS, descriptions from `column`. */
export function keyProtectionHelp(column: number, plaintextMeaning: string): string {
  const indent = " ".repeat(column);
  // An option longer than the column gets its description on the next line.
  const option = (name: string): string => (name.length < column ? name.padEnd(column) : `${name}\n${indent}`);
  return [
    `${option("  --passphrase-file F")}the key passphrase is F's first line (F must be mode 0600;`,
    `${indent}default: the file named by $${PASSPHRASE_FILE_ENV}, else asked on the terminal)`,
    `${option("  --plaintext-keys")}${plaintextMeaning}`,
  ].join("\n");
}

/** The first line of a passphrase file (its line ending stripped); refused when too open, not a file, or empty. */
export async function readPassphraseFile(path: string): Promise<string> {
  const { text } = await readPrivateFile(path);
  const first = text.split("\n", 1)[0] as string;
  const passphrase = first.endsWith("\r") ? first.slice(0, -1) : first;
  if (passphrase.length === 0) throw new CliError(`passphrase file ${path} is empty: an empty passphrase is refused`);
  return passphrase;
}

/** A passphrase typed on the terminal; undefined when there is none to ask on. */
async function ask(io: CliIo, prompt: string): Promise<string | undefined> {
  if (io.readSecret === undefined) return undefined;
  const passphrase = await io.readSecret(prompt);
  if (passphrase.length === 0) throw new CliError("an empty passphrase is refused");
  return passphrase;
}

function envFile(io: CliIo): string | undefined {
  const file = io.env[PASSPHRASE_FILE_ENV];
  return file === undefined || file === "" ? undefined : file;
}

/** The passphrase that unlocks existing key files (`what` names them in the prompt and the error). */
export async function existingPassphrase(command: string, io: CliIo, file: string | undefined, what: string): Promise<string> {
  const source = file ?? envFile(io);
  if (source !== undefined) return readPassphraseFile(source);
  const typed = await ask(io, `passphrase for ${what}: `);
  if (typed !== undefined) return typed;
  throw new UsageError(`a passphrase is needed for ${what}: give --passphrase-file FILE or set ${PASSPHRASE_FILE_ENV} (no terminal to ask on)`, command);
}

/**
 * A new passphrase: from `file`, else (when `useEnv`) $CERTCHAIN_PASSPHRASE_FILE, else typed twice on
 * the terminal. `flag` names the option in the error when there is no terminal.
 */
export async function newPassphrase(
  command: string,
  io: CliIo,
  file: string | undefined,
  what: string,
  flag = "--passphrase-file",
  useEnv = true,
): Promise<string> {
  const source = file ?? (useEnv ? envFile(io) : undefined);
  if (source !== undefined) return readPassphraseFile(source);
  const first = await ask(io, `new passphrase for ${what}: `);
  if (first === undefined) {
    const env = useEnv ? ` or set ${PASSPHRASE_FILE_ENV}` : "";
    throw new UsageError(`a new passphrase for ${what} is needed: give ${flag} FILE${env} (no terminal to ask on)`, command);
  }
  const again = await ask(io, "the same passphrase again: ");
  if (again !== first) throw new CliError("the two passphrases differ; nothing was written");
  return first;
}

/** How a command writes new keys: --plaintext-keys, or under a new passphrase. */
export async function keyProtectionFrom(command: string, io: CliIo, args: ParsedArgs, what: string): Promise<KeyProtection> {
  const file = stringFlag(command, args, "passphrase-file");
  if (args.values["plaintext-keys"] === true) {
    if (file !== undefined) throw new UsageError("--plaintext-keys and --passphrase-file exclude each other", command);
    return { plaintext: true };
  }
  return { passphrase: await newPassphrase(command, io, file, what) };
}

/**
 * Load a key file for a command: a passphrase is asked for (or read) only when the file is encrypted;
 * a plaintext file needs --plaintext-keys unless `plaintextAllowed` (the testnet's own keys).
 */
export async function loadKeyFileFrom(command: string, io: CliIo, args: ParsedArgs, path: string, plaintextAllowed = false): Promise<KeyFile> {
  const info = await inspectKeyFile(path);
  const allowPlaintext = plaintextAllowed || args.values["plaintext-keys"] === true;
  if (info.encryption === null) return loadKeyFile(path, { allowPlaintext });
  return loadKeyFile(path, { passphrase: await existingPassphrase(command, io, stringFlag(command, args, "passphrase-file"), path), allowPlaintext });
}
