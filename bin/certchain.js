#!/usr/bin/env node
// The `certchain` command: the compiled CLI lives in dist/ (npm run build).
import("../dist/cli/main.js").then(
  (cli) => cli.main(),
  (err) => {
    process.stderr.write(`certchain: cannot load dist/cli/main.js (run npm run build): ${err.message}\n`);
    process.exitCode = 1;
  },
);
