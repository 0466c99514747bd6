/** `certchain cert issue | revoke | renew | export | present | show | verify | history`. */
import { type Command, commandGroup } from "../command.js";

export const certCommand: Command = commandGroup(
  "cert",
  "issue, revoke, renew, export, present, show and verify certificates",
  "Certificates: issue, revoke, renew and export as SD-JWT VC (department issuer keys); present an SD-JWT VC (its holder); show and verify (anyone).",
  [
    { name: "issue", summary: "issue a certificate and save the holder's document", load: async () => (await import("./cert/issue.js")).certIssueCommand },
    { name: "revoke", summary: "revoke a certificate", load: async () => (await import("./cert/revoke.js")).certRevokeCommand },
    { name: "renew", summary: "renew a certificate: a new one that supersedes it", load: async () => (await import("./cert/renew.js")).certRenewCommand },
    {
      name: "export",
      summary: "write a committed certificate as an SD-JWT VC for wallets",
      load: async () => (await import("./cert/export.js")).certExportCommand,
    },
    {
      name: "present",
      summary: "make an SD-JWT VC presentation that discloses only some claims",
      load: async () => (await import("./cert/present.js")).certPresentCommand,
    },
    { name: "show", summary: "show a certificate's on-chain record", load: async () => (await import("./cert/show.js")).certShowCommand },
    { name: "verify", summary: "check that a certificate is valid", load: async () => (await import("./cert/verify.js")).certVerifyCommand },
    { name: "history", summary: "list every transaction that touched a certificate", load: async () => (await import("./cert/history.js")).certHistoryCommand },
  ],
);
