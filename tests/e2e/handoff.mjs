// One side of the two-browser handoff test (tests/e2e/two-nodes.sh). Run
// with ROLE=outgoing on node A and ROLE=incoming on node B, each inside
// its node's network namespace, both at once. They meet through files in
// SYNC. The incoming nurse opens bed 4 first. The outgoing nurse writes
// the I-PASS handoff with two actions, which must reach the incoming
// nurse's screen within 2 s. The incoming nurse acknowledges it, and the
// acknowledgment must reach the outgoing nurse's screen. Prints
// "ROLE: N passed, N failed".
import { createRequire } from "node:module";
import { existsSync, writeFileSync, readFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../web/package.json"));
const { chromium } = require("playwright-core");

const role = process.env.ROLE;
const sync = process.env.SYNC;
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });
let passed = 0;
let failed = 0;
let step = "start"; // where the scenario is, to place a failure
function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok" : "FAILED"}: ${role}: ${name}${detail ? " (" + detail + ")" : ""}`);
}
async function until(file, ms) {
  const end = Date.now() + ms;
  while (!existsSync(join(sync, file))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${file}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return readFileSync(join(sync, file), "utf8");
}

const context = await chromium.launchPersistentContext(process.env.WL_PROFILE, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  viewport: { width: 1280, height: 900 },
});
const page = context.pages()[0] || await context.newPage();

try {
  step = "open the UI";
  for (let tries = 0; ; tries++) {
    try {
      await page.goto(process.env.WL_BASE + "/");
      break;
    } catch (err) {
      if (tries === 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  step = "log in";
  await page.getByLabel("Username").fill(process.env.WL_USER);
  await page.getByLabel("Password").fill(process.env.WL_PW);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Later" }).click();
  step = "open bed 4";
  await page.getByRole("button", { name: "Hollis Quarrington" }).click();
  await page.getByRole("heading", { name: /Hollis Quarrington, bed 4/ }).waitFor();

  if (role === "incoming") {
    writeFileSync(join(sync, "incoming-ready"), "");
    const written = Number(await until("handoff-written", 30000));
    // Poll from here: the page's CSP forbids the eval that
    // waitForFunction would need.
    const actions = page.locator(".tasks li");
    for (const end = Date.now() + 10000; ;) {
      const v = (await actions.allInnerTexts()).join("\n");
      if (v.includes("Recheck potassium") && v.includes("Chest X-ray")) break;
      if (Date.now() > end) throw new Error(`the actions did not arrive: "${v}"`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const ms = Date.now() - written;
    check("sees the handoff written on node A within 2 s", ms <= 2000, `${ms} ms`);
    writeFileSync(join(sync, "seen-ms"), String(ms));
    await page.getByLabel("Synthesis by receiver").fill("Potassium at 02:00; call rapid response if SpO2 < 90%.");
    await page.getByRole("button", { name: "Save synthesis by receiver" }).click();
    await page.getByRole("button", { name: "Acknowledge handoff" }).click();
    await page.getByText(`Received and acknowledged by ${process.env.WL_USER}`).waitFor();
    await page.locator(".tasks li", { hasText: "Recheck potassium" })
      .getByRole("button", { name: "Mark done" }).click();
    await page.getByText(`done by ${process.env.WL_USER}`).waitFor();
    writeFileSync(join(sync, "acknowledged"), String(Date.now()));
    await page.screenshot({ path: join(shots, "handoff-incoming.png"), fullPage: true });
    check("acknowledges it and completes one action", true);
    step = "read the outgoing nurse's message";
    await until("message-posted", 30000);
    await page.getByRole("button", { name: "Messages" }).click();
    await page.getByText("Bed 4 handed over, see the actions").waitFor({ timeout: 10000 });
    // The page writes this reader's read marker after it showed the
    // message; wait until it is stored before the browser closes.
    await page.locator(".thread li", { hasText: "Bed 4 handed over" })
      .getByText(new RegExp(`Read by ${process.env.WL_USER}`)).waitFor({ timeout: 10000 });
  } else {
    step = "wait for the incoming nurse";
    await until("incoming-ready", 30000);
    step = "write the handoff";
    await page.getByRole("button", { name: "Watcher" }).click();
    await page.getByLabel("Patient summary").fill("81-year-old man, pneumonia day 3, on 2 L oxygen.");
    await page.getByRole("button", { name: "Save patient summary" }).click();
    await page.getByLabel("If", { exact: true }).fill("SpO2 below 90%");
    await page.getByLabel("Then", { exact: true }).fill("call the rapid response team");
    await page.getByRole("button", { name: "Add if/then" }).click();
    await page.getByText("If SpO2 below 90%, then").waitFor();
    for (const [what, owner, due] of [["Recheck potassium", "night nurse", "02:00"],
      ["Chest X-ray", "physician", "08:00"]]) {
      await page.getByLabel("New action").fill(what);
      await page.getByLabel("Owner").fill(owner);
      await page.getByLabel("Due (HH:MM)").fill(due);
      await page.getByRole("button", { name: "Add action" }).click();
      await page.locator(".tasks li", { hasText: what }).waitFor();
    }
    writeFileSync(join(sync, "handoff-written"), String(Date.now()));
    check("writes the handoff with two actions", true);
    step = "wait for the acknowledgment";
    const acked = Number(await until("acknowledged", 30000));
    await page.getByText("Received and acknowledged by").waitFor({ timeout: 10000 });
    await page.locator(".tasks li", { hasText: "Recheck potassium" })
      .getByText("done by").waitFor({ timeout: 10000 });
    check("sees the acknowledgment and the completed action from node B", true,
      `${Date.now() - acked} ms after it`);
    await page.screenshot({ path: join(shots, "handoff-outgoing.png"), fullPage: true });
    step = "devices view";
    await page.getByRole("button", { name: "Devices" }).click();
    const row = page.locator("tr", { hasText: "node-2" });
    await row.waitFor({ timeout: 15000 });
    const text = await row.innerText();
    check("the devices view shows node B linked, with its last sync",
      /Linked/.test(text) && !/never/.test(text), text.replace(/\s+/g, " "));
    await page.screenshot({ path: join(shots, "devices-linked.png"), fullPage: true });
    step = "delivery state";
    await page.getByRole("button", { name: "Messages" }).click();
    await page.getByLabel("Message").fill("Bed 4 handed over, see the actions");
    await page.getByRole("button", { name: "Send" }).click();
    writeFileSync(join(sync, "message-posted"), String(Date.now()));
    const state = page.locator(".thread li", { hasText: "Bed 4 handed over" }).locator(".delivery");
    await state.getByText(/reached 1 other device.*Read by/).waitFor({ timeout: 15000 });
    check("the message shows it reached node B and who read it there", true,
      await state.innerText());
    await page.screenshot({ path: join(shots, "delivery-read.png"), fullPage: true });
  }
} catch (err) {
  check("the scenario runs to its end", false,
    `at "${step}": ${err.message.split("\n")[0]}`);
  await page.screenshot({ path: join(shots, `handoff-${role}-failure.png`) }).catch(() => {});
}
await context.close();
console.log(`${role}: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
