/**
 * Bearer-token check of the authenticated admin routes (POST /admin/reload). The token itself is not
 * kept, only its SHA-256; a presented token is hashed and compared with timingSafeEqual, so neither
 * its length nor its first differing byte shows in the time an answer takes.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest();

/** The admin token a node accepts now; none means the authenticated admin routes are not served. */
export class AdminAuth {
  private expected: Buffer | null = null;

  constructor(token: string | null = null) {
    this.set(token);
  }

  /** Accept `token` from now on, or no token at all (null). */
  set(token: string | null): void {
    this.expected = token === null ? null : digest(token);
  }

  /** True while a token is set. */
  get enabled(): boolean {
    return this.expected !== null;
  }

  /** Whether an Authorization header carries the token (`Bearer <token>`); false while none is set. */
  check(authorization: string | undefined): boolean {
    const expected = this.expected;
    if (expected === null || authorization === undefined) return false;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match === null) return false;
    return timingSafeEqual(digest(match[1] as string), expected);
  }
}
