/** Shell quoting for the command lines testnet.json gives operators to copy. */

/** Quote one argument for a POSIX shell, only when it needs it. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A whole argv as one copy-pasteable command line. */
export function shellCommandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
