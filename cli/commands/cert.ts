/** `certchain cert issue | revoke | show | verify`. */
import { type Command, commandGroup } from "../command.js";

export const certCommand: Command = commandGroup(
  "cert",
  "issue, revoke, show and verify certificates",
  "Certificates: issue and revoke (department issuer keys), show and verify (anyone).",
  [
    { name: "issue", summary: "issue a certificate and save the holder's document", load: async () => (await import("./cert/issue.js")).certIssueCommand },
    { name: "revoke", summary: "revoke a certificate", load: async () => (await import("./cert/revoke.js")).certRevokeCommand },
    { name: "show", summary: "show a certificate's on-chain record", load: async () => (await import("./cert/show.js")).certShowCommand },
    { name: "verify", summary: "check that a certificate is valid", load: async () => (await import("./cert/verify.js")).certVerifyCommand },
    { name: "history", summary: "list every transaction that touched a certificate", load: async () => (await import("./cert/history.js")).certHistoryCommand },
  ],
);
