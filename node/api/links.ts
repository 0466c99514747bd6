/** Links a node hands out: the verification link printed by `cert issue`, put in its QR codes and shown on the page. */

/** The verification link of a certificate on a node reached at `publicUrl` (GET /status `publicUrl`). */
export function verificationLink(publicUrl: string, certificateId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/verify/${encodeURIComponent(certificateId)}`;
}
