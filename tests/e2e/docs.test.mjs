// The documentation stays true to the tree: the README (also the npm page) is a front page of at
// most 300 lines, every relative link in it and in docs/*.md names a file that exists, and the
// licence files exist and ship in the npm package. Needs no build: node --test tests/e2e/docs.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const read = (path) => readFileSync(join(root, path), "utf8");
const pages = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The targets of a markdown text's inline links `[text](target)` and images, outside code. */
function links(text) {
  const prose = text.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
}

test("README.md is a front page: at most 300 lines", () => {
  const lines = read("README.md").split("\n");
  const count = lines.at(-1) === "" ? lines.length - 1 : lines.length;
  assert.ok(count <= 300, `README.md has ${count} lines (limit 300): move details into docs/`);
});

test("every relative link in README.md and docs/*.md points to an existing file", () => {
  assert.ok(pages.length > 1, "docs/ holds markdown pages");
  const broken = [];
  let checked = 0;
  for (const page of pages) {
    for (const target of links(read(page))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue; // http(s), mailto, anchors
      const path = decodeURIComponent(target.split("#")[0].split("?")[0]);
      const file = join(root, dirname(page), path);
      checked++;
      if (!existsSync(file)) broken.push(`${page}: ${target} (${relative(root, file)} does not exist)`);
    }
  }
  assert.ok(checked > 10, `only ${checked} relative links found`);
  assert.deepEqual(broken, []);
});

test("LICENSE and NOTICE exist and ship in the npm package", () => {
  for (const file of ["LICENSE", "NOTICE"]) {
    assert.ok(existsSync(join(root, file)), `${file} is missing`);
    assert.ok(read(file).trim().length > 0, `${file} is empty`);
  }
  const files = JSON.parse(read("package.json")).files;
  for (const file of ["LICENSE", "NOTICE"]) assert.ok(files.includes(file), `package.json "files" lacks ${file}`);
});
