/** `certchain cert present`: a presentation of an SD-JWT VC that discloses only the claims named. */
import { readFile } from "node:fs/promises";
import { EXIT } from "../../../node/errors.js";
import { listFlag, parseCommandArgs, requiredFlag, stringFlag } from "../../args.js";
import type { Command } from "../../command.js";
import { CliError, UsageError } from "../../errors.js";
import { writeCredentialFile } from "./credential.js";
import { presentCredential } from "./sd-jwt-vc.js";

const NAME = "cert present";
const DISCLOSABLE = /^(holder|fields|links)\.([A-Za-z0-9_-]{1,64})$/;

/** `--disclose fields.city holder.name` → { fields: { city: true }, holder: { name: true } }. */
export function presentationFrame(paths: readonly string[]): Record<string, Record<string, boolean>> {
  const frame: Record<string, Record<string, boolean>> = {};
  for (const path of paths) {
    const m = DISCLOSABLE.exec(path);
    if (m === null) throw new UsageError(`--disclose takes holder.NAME, fields.NAME or links.NAME, not "${path}"`, NAME);
    const [, group = "", claim = ""] = m;
    frame[group] = { ...frame[group], [claim]: true };
  }
  return frame;
}

export const certPresentCommand: Command = {
  name: NAME,
  summary: "make an SD-JWT VC presentation that discloses only some claims",
  usage: `Make a presentation of an SD-JWT VC (from cert issue or cert export) that discloses only the
claims named; every other disclosable claim (holder name and id, fields, links) is left out. The public
facts (type, department, validity, certificate id, status) are always in it. A verifier checks it with
certchain cert verify --sd-jwt FILE, or any SD-JWT VC verifier holding the issuer key of genesis.

Usage: certchain cert present --sd-jwt FILE [--disclose CLAIM ...] [--out FILE [--force]]

Options:
  --sd-jwt FILE      the holder's SD-JWT VC (required)
  --disclose CLAIM   a claim to disclose: holder.name, holder.idType, holder.idNumber, fields.NAME,
                     links.NAME; repeat for each (none: only the public facts)
  --out FILE         write the presentation there (mode 0600) instead of printing it
  --force            overwrite --out if it exists
  -h, --help         show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      "sd-jwt": { type: "string" },
      disclose: { type: "string", multiple: true },
      out: { type: "string" },
      force: { type: "boolean" },
    });
    const path = requiredFlag(NAME, args, "sd-jwt");
    const frame = presentationFrame(listFlag(args, "disclose"));
    let credential: string;
    try {
      credential = (await readFile(path, "utf8")).trim();
    } catch (err) {
      throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
    }
    const presentation = await presentCredential(credential, frame);
    const out = stringFlag(NAME, args, "out");
    if (out === undefined) io.out(presentation);
    else {
      await writeCredentialFile(out, presentation, args.values.force === true);
      io.out(`wrote ${out}`);
    }
    return EXIT.OK;
  },
};
