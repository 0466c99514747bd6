/** The verification page's stylesheet (served as /verify-assets/page.css): readable on a phone and a desktop. */
export const PAGE_CSS = `
:root { color-scheme: light; --ok: #1a7f37; --bad: #b42318; --warn: #9a6700; --line: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #1f2328; background: #f6f8fa; }
main { max-width: 44rem; margin: 0 auto; padding: 1rem; }
header h1 { font-size: 1.4rem; margin: 0.5rem 0 0; }
[lang="en"] { color: var(--muted); font-size: 0.9em; }
h1 [lang="en"], h2 [lang="en"] { display: block; }
.id { font-family: ui-monospace, monospace; word-break: break-all; margin: 0.25rem 0 1rem; }
.status { border-radius: 0.5rem; padding: 0.75rem 1rem; margin-bottom: 1rem; background: #fff; border: 2px solid var(--line); }
.status .verdict { font-size: 1.5rem; font-weight: 700; margin: 0; }
.status .reason, .status .source { margin: 0.25rem 0 0; }
.status .source { font-size: 0.85rem; color: var(--muted); }
.status-valid { border-color: var(--ok); } .status-valid .verdict { color: var(--ok); }
.status-revoked, .status-unknown { border-color: var(--bad); } .status-revoked .verdict, .status-unknown .verdict { color: var(--bad); }
.status-expired, .status-not-yet-valid { border-color: var(--warn); } .status-expired .verdict, .status-not-yet-valid .verdict { color: var(--warn); }
.facts { margin: 0 0 1rem; background: #fff; border: 1px solid var(--line); border-radius: 0.5rem; padding: 0.25rem 1rem; }
.fact { padding: 0.5rem 0; border-bottom: 1px solid var(--line); }
.fact:last-child { border-bottom: 0; }
.fact dt { font-weight: 600; }
.fact dd { margin: 0; word-break: break-word; }
.check { background: #fff; border: 1px solid var(--line); border-left-width: 6px; border-radius: 0.5rem; padding: 0.5rem 1rem; margin-bottom: 1rem; }
.check h2 { font-size: 1.05rem; margin: 0.25rem 0; }
.check[data-state="ok"] { border-left-color: var(--ok); }
.check[data-state="failed"] { border-left-color: var(--bad); }
.check[data-state="differs"] { border-left-color: var(--warn); }
.hint { font-size: 0.9rem; color: var(--muted); }
label.file { display: block; margin-bottom: 0.5rem; font-weight: 600; }
input[type="file"] { max-width: 100%; }
footer { font-size: 0.8rem; color: var(--muted); word-break: break-all; }
code { font-family: ui-monospace, monospace; }
time { white-space: normal; }
.print-only { display: none; }
.status .freshness { margin: 0.25rem 0 0; font-size: 0.85rem; }
.stale-warning { margin: 0.5rem 0 0; padding: 0.5rem; border: 1px solid var(--warn); color: var(--warn); font-weight: 600; }
@media (min-width: 40rem) {
  main { padding: 2rem; }
  .fact { display: grid; grid-template-columns: 12rem 1fr; gap: 1rem; }
  h1 [lang="en"], h2 [lang="en"] { display: inline; }
}
/* Printed (A4): the facts and headings in both languages, the QR code and link, the chain id and the
   in-browser proof summary; no file picker. */
@media print {
  @page { size: A4; margin: 15mm 15mm 18mm; }
  body { background: #fff; font-size: 10.5pt; color: #000; }
  main { max-width: none; padding: 0; }
  [lang="en"] { color: #333; }
  h1 [lang="en"], h2 [lang="en"] { display: inline; }
  #document-check, .status .source { display: none; }
  .status, .facts, .check { border-color: #000; break-inside: avoid; }
  .fact { display: grid; grid-template-columns: 50mm 1fr; gap: 4mm; break-inside: avoid; padding: 1.5mm 0; }
  .print-only { display: flex; gap: 6mm; align-items: center; break-inside: avoid; margin-bottom: 4mm; }
  .qr svg { width: 32mm; height: 32mm; display: block; }
  a { color: inherit; text-decoration: none; }
  footer { color: #000; }
}
`;
