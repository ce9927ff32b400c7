// Type-checks every ```js example in README.md and docs/*.md against the package's declarations
// (pkg/index.d.ts, built by `node www/build.mjs`): each block becomes a module under
// target/doc-examples/ and `tsc --checkJs` must accept them all, so a renamed method, option or
// result field cannot stay in the docs. Run by tests/run.sh; alone: `node tests/ts/examples.mjs`.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const out = join(root, "target/doc-examples");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// Names the short examples use without defining them (the longer ones define them first).
const GLOBALS = `declare const fv: import("facegate").FaceVerifier;
declare const cam: import("facegate").Camera;
`;
writeFileSync(join(out, "globals.d.ts"), GLOBALS);

const sources = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const files = ["globals.d.ts"];
for (const source of sources) {
  const text = readFileSync(join(root, source), "utf8");
  const blocks = [...text.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  blocks.forEach((code, i) => {
    const name = `${source.replace(/[/.]/g, "_")}_${i + 1}.js`;
    writeFileSync(join(out, name), `// ${source}, example ${i + 1}\n${code}\nexport {};\n`);
    files.push(name);
  });
}
writeFileSync(
  join(out, "tsconfig.json"),
  JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      module: "ES2022",
      moduleResolution: "bundler",
      lib: ["ES2022", "ESNext.Disposable", "DOM"],
      allowJs: true,
      checkJs: true,
      noEmit: true,
      // Examples are plain JavaScript as a reader would paste it: nulls and implicit anys pass;
      // names, options, methods and result fields must exist.
      strict: false,
      paths: { facegate: [join(root, "pkg/index.d.ts")] },
    },
    files,
  }),
);
try {
  execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", join(out, "tsconfig.json")], { stdio: "inherit" });
} catch {
  console.error("a documented example does not type-check (above; the files are in target/doc-examples/)");
  process.exit(1);
}
console.log(`${files.length - 1} examples from ${sources.length} files type-check against pkg/index.d.ts`);
