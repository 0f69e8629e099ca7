// Builds lms/static/vendor/codemirror/codemirror.min.js (the global `LmsCodeMirror`) and writes
// beside it a LICENSE holding the licence of every package that went into the bundle.
import { build } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const out = "../../lms/static/vendor/codemirror";
const result = await build({
  entryPoints: ["entry.js"], bundle: true, minify: true, format: "iife", globalName: "LmsCodeMirror",
  target: "es2020", legalComments: "none", metafile: true, outfile: `${out}/codemirror.min.js`,
});

const packages = new Set();
const bundled = Object.values(result.metafile.outputs)[0].inputs;
for (const [input, { bytesInOutput }] of Object.entries(bundled)) {
  if (!bytesInOutput) continue; // imported, but shaken out of the bundle
  const match = input.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const sections = [...packages].sort().map((name) => {
  const folder = join("node_modules", name);
  const meta = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
  const licence = readFileSync(join(folder, "LICENSE"), "utf8").trim();
  return `${name} ${meta.version} (${meta.license})\n\n${licence}\n`;
});
writeFileSync(join(out, "LICENSE"),
  "The packages bundled in codemirror.min.js and their licences.\n\n" + sections.join("\n" + "-".repeat(72) + "\n\n"));
console.log(`${out}/codemirror.min.js: ${packages.size} packages`);
