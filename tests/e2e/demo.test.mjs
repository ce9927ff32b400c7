// The demo site (www/) in headless Chromium with a fake camera showing an LFW face: live box,
// enroll, verify, a sign-in that the photo cannot pass (the liveness prompts show on screen),
// list and delete — clicked through like a user would. A live head passing the same challenge is
// tests/e2e/liveness.test.mjs.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, lfwImage, cli, serve, withBrowser, y4m, need } from "./harness.mjs";

need(join(root, "pkg/facegate_bg.wasm"), "the built package");
need(cli, "the native CLI");
const work = mkdtempSync(join(tmpdir(), "facegate-demo-"));
const server = await serve({ "/": root });
after(() => server.close());

const text = (page, id) => page.locator(`#${id}`).textContent();
const waitFor = (page, id, pattern) =>
  page.waitForFunction(([id, source]) => new RegExp(source).test(document.getElementById(id).textContent), [id, pattern.source], { timeout: 120_000 });

test("the demo enrolls and verifies from the camera, and a photo cannot sign in", async () => {
  const video = y4m(join(work, "powell.y4m"), lfwImage("Colin_Powell", 1));
  await withBrowser(join(work, "profile"), video, async (browser) => {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`${server.url}/www/`);
    await waitFor(page, "live", /1 face\(s\), detection \d+ ms\/frame/);
    assert.equal(await page.locator("#camera-error").isHidden(), true);

    await page.fill("#enroll-name", "colin");
    await page.fill("#enroll-shots", "2");
    await page.click("#enroll");
    await waitFor(page, "enroll-result", /enrolled colin: 2 shot/);
    await page.waitForFunction(() => document.querySelectorAll("#people tr").length === 1);

    await page.click("#verify");
    await waitFor(page, "verify-result", /MATCH: p\(same\) [01]\.\d{3} /);
    await page.fill("#signin-name", "colin");
    await page.click("#signin");
    await waitFor(page, "signin-prompt", /^(Turn your head|Tilt your head|Blink)/);
    await waitFor(page, "signin-result", /Sign-in refused: liveness check failed: no "\w+" in time\./);
    assert.equal(await text(page, "signin-prompt"), "");

    await page.click("#people button");
    await page.waitForFunction(() => document.querySelectorAll("#people tr").length === 0);
    await page.click("#signin");
    await waitFor(page, "signin-result", /UNKNOWN_ID/);
    assert.match(await text(page, "verify-result"), /threshold 0\.\d+/);
  });
});

test("the demo says so when there is no camera", async () => {
  // Without the fake-device flags headless Chromium has no camera to give.
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/www/`);
    await page.waitForFunction(() => !document.getElementById("camera-error").hidden, null, { timeout: 120_000 });
    assert.match(await text(page, "camera-error"), /No camera: /);
  } finally {
    await browser.close();
  }
});
