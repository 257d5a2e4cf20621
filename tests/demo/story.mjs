// The acceptance story of the demo ward, in real chromium: three tablets
// (A, B and the pharmacy's), each a browser of its own with a fresh
// profile, on the nodes' forwarders at 127.0.0.1. tests/demo/check.sh sets
// the ward up and passes, in the environment: WL_BASE_1 to WL_BASE_3 (the
// UI addresses), WL_DATA_1 and WL_DATA_3 (data directories of tablet A and
// the pharmacy), WL_NS_1 (tablet A's namespace), WL_PHARMACY_LINK (the host side of the pharmacy's veth),
// WL_CLI (the wardline CLI), WL_IDLE_A (tablet A's idle lock in seconds),
// WL_PW_<USER> (passwords), WL_PROFILES (a fresh directory), WL_SHOTS
// (screenshots) and WL_FIGURES (a JSON file for the measured figures).
// Prints "ok:" or "FAILED:" per check and "story: N passed, N failed".
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../web/package.json"));
const { chromium } = require("playwright-core");

const env = process.env;
const shots = env.WL_SHOTS;
mkdirSync(shots, { recursive: true });
const figures = {};
let passed = 0;
let failed = 0;
let step = "start"; // where the story is, to place a failure

function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok" : "FAILED"}: ${name}${detail ? " (" + detail + ")" : ""}`);
  return ok;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll FN until it returns a true value or MS pass. The pages' CSP
// forbids the eval that waitForFunction would need.
async function until(what, ms, fn) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(50);
  }
}

async function tablet(name) {
  const context = await chromium.launchPersistentContext(join(env.WL_PROFILES, name), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu",
      "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-quic", "--disable-sync"],
    viewport: { width: 1280, height: 860 },
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(10000);
  return { name, context, page };
}

async function logIn(t, base, user) {
  step = `${user} logs in on ${t.name}`;
  if (!t.page.url().startsWith(base)) await t.page.goto(base + "/");
  await t.page.getByLabel("Username").fill(user);
  await t.page.getByLabel("Password").fill(env[`WL_PW_${user.toUpperCase()}`]);
  await t.page.getByRole("button", { name: "Log in" }).click();
  await t.page.getByRole("button", { name: "Later" }).click();
}

async function logOut(t) {
  await t.page.getByRole("button", { name: "Log out" }).click();
  await t.page.getByRole("button", { name: "Log in" }).waitFor();
}

// The row of bed N on the board.
const bedRow = (page, n) => page.locator("table.board tbody tr", {
  has: page.locator("td.bed", { hasText: new RegExp(`^${n}$`) }),
});

async function openBed(page, n) {
  const button = bedRow(page, n).getByRole("button");
  const name = (await button.innerText()).trim();
  await button.click();
  await page.getByRole("heading", { name: `${name}, bed ${n}` }).waitFor();
  return name;
}

function ids(dataDir) {
  return execFileSync(env.WL_CLI, ["log", "--data-dir", dataDir, "--ids"],
    { encoding: "utf8" }).split("\n").filter(Boolean);
}

function link(state) {
  execFileSync("ip", ["link", "set", env.WL_PHARMACY_LINK, state]);
}

// The names of the peers linked to tablet A's node now.
function peersOfA() {
  const out = execFileSync("ip", ["netns", "exec", env.WL_NS_1, env.WL_CLI,
    "status", "--json"], { encoding: "utf8" });
  return JSON.parse(out).peers.map((p) => p.name);
}

const ACTIONS = ["Recheck potassium", "Chest X-ray"];
const IF = "SpO2 below 90%";
const THEN = "call the rapid response team";
const URGENT = "Bed 4 potassium 5.9 on the morning draw, recheck ordered";

// Step 2 on tablet A: the I-PASS handoff of bed 4 with the severity, a
// summary, two actions (each with an owner and a due time) and one
// if/then plan.
async function writeHandoff(page) {
  await page.getByRole("button", { name: "Watcher" }).click();
  await page.locator("button.severity.watcher.chosen").waitFor();
  await page.getByLabel("Patient summary").fill("Day 3 of admission, on 2 L oxygen, afebrile since yesterday.");
  await page.getByRole("button", { name: "Save patient summary" }).click();
  for (const [text, owner, due] of [[ACTIONS[0], "ivan", "02:00"], [ACTIONS[1], "physician", "08:00"]]) {
    await page.getByLabel("New action").fill(text);
    await page.getByLabel("Owner").fill(owner);
    await page.getByLabel("Due (HH:MM)").fill(due);
    await page.getByRole("button", { name: "Add action" }).click();
    await page.locator(".tasks li", { hasText: text }).waitFor();
  }
  await page.getByLabel("If", { exact: true }).fill(IF);
  await page.getByLabel("Then", { exact: true }).fill(THEN);
  await page.getByRole("button", { name: "Add if/then" }).click();
  await page.locator(".contingency li", { hasText: THEN }).waitFor();
}

// Whether PAGE shows bed 4's handoff as written on A: both actions and
// the if/then plan.
async function showsHandoff(page) {
  const tasks = await page.locator(".tasks li").allInnerTexts();
  const plans = await page.locator(".contingency li").allInnerTexts();
  return ACTIONS.every((a) => tasks.some((t) => t.includes(a))) &&
    plans.some((p) => p.includes(`If ${IF}, then ${THEN}`));
}

const A = await tablet("tablet-a");
const B = await tablet("tablet-b");
const C = await tablet("pharmacy");
const baseA = env.WL_BASE_1;
const baseB = env.WL_BASE_2;
const baseC = env.WL_BASE_3;

try {
  // 1. The charge nurse sees all 16 beds on tablet A.
  await logIn(A, baseA, "carla");
  step = "the board on tablet A";
  const rows = A.page.locator("table.board tbody tr");
  await until("16 beds on the board", 10000, async () => (await rows.count()) === 16);
  check("1. the charge nurse sees all 16 beds on tablet A", (await rows.count()) === 16);
  await A.page.screenshot({ path: join(shots, "board.png"), fullPage: true });
  await logOut(A);

  // 4 (start). The pharmacy is cut off during steps 2 and 3.
  step = "cut the pharmacy off";
  link("down");
  const cutAt = Date.now();

  // The incoming nurse waits on tablet B with bed 4 open.
  await logIn(B, baseB, "ivan");
  step = "bed 4 on tablet B";
  await openBed(B.page, 4);

  // 2. The outgoing nurse writes the handoff and an urgent message.
  await logIn(A, baseA, "olga");
  step = "the handoff of bed 4 on tablet A";
  const bed4 = await openBed(A.page, 4);
  await writeHandoff(A.page);
  const handoffAt = Date.now();
  const seenHandoff = until("the handoff on tablet B", 10000, () => showsHandoff(B.page))
    .then(() => Date.now());
  step = "the urgent message on tablet A";
  await A.page.getByRole("button", { name: "Messages" }).click();
  await A.page.getByLabel("Message").fill(URGENT);
  await A.page.getByLabel("Urgent").check();
  await A.page.getByRole("button", { name: "Send" }).click();
  await A.page.locator(".thread li.urgent", { hasText: URGENT }).waitFor();
  const messageAt = Date.now();
  check("2. the outgoing nurse writes the handoff of bed 4 and an urgent message", true);

  // 3. Tablet B shows both within 2 s, then acknowledges and completes
  // one action.
  step = "tablet B shows the handoff and the message";
  const handoffMs = (await seenHandoff) - handoffAt;
  await B.page.getByRole("button", { name: "Messages" }).click();
  await B.page.locator(".thread li.urgent", { hasText: URGENT }).waitFor({ timeout: 10000 });
  const messageMs = Date.now() - messageAt;
  figures.sync_ms = Math.max(handoffMs, messageMs);
  check("3. tablet B shows the handoff and the urgent message within 2 s",
    figures.sync_ms <= 2000, `handoff ${handoffMs} ms, message ${messageMs} ms`);
  await B.page.screenshot({ path: join(shots, "messages-b.png"), fullPage: true });

  step = "tablet B acknowledges and completes an action";
  await B.page.getByRole("button", { name: "Board" }).click();
  await B.page.getByRole("button", { name: "Acknowledge handoff" }).click();
  await B.page.getByText("Received and acknowledged by ivan").waitFor();
  await B.page.locator(".tasks li", { hasText: ACTIONS[0] })
    .getByRole("button", { name: "Mark done" }).click();
  await B.page.locator(".tasks li", { hasText: ACTIONS[0] }).getByText("done by ivan").waitFor();
  await B.page.screenshot({ path: join(shots, "handoff-b.png"), fullPage: true });

  step = "tablet A shows the acknowledgment and the completed action";
  const ackAt = Date.now();
  await A.page.getByRole("button", { name: "Board" }).click();
  await A.page.getByText("Received and acknowledged by ivan").waitFor({ timeout: 5000 });
  await A.page.locator(".tasks li", { hasText: ACTIONS[0] }).getByText("done by ivan").waitFor({ timeout: 5000 });
  check("3. tablet A shows the acknowledgment and the completed action", true,
    `${Date.now() - ackAt} ms after B`);
  await A.page.screenshot({ path: join(shots, "handoff-a.png"), fullPage: true });
  const lastActivityA = Date.now();

  // 4. Once tablet A's node has noticed the cut (its link's ping timed
  // out), the pharmacy's link returns, and it has every event within 10 s.
  step = "tablet A's node drops the pharmacy";
  await until("tablet A's node drops the pharmacy", 15000,
    () => !peersOfA().includes("pharmacy"));
  step = "the pharmacy catches up";
  const expected = ids(env.WL_DATA_1);
  const before = new Set(ids(env.WL_DATA_3));
  const behind = expected.filter((id) => !before.has(id)).length;
  check("4. the pharmacy misses the events of steps 2 and 3 while cut off",
    behind > 0, `${behind} events`);
  link("up");
  const upAt = Date.now();
  figures.cut_off_s = Math.round((upAt - cutAt) / 1000);
  let missing = expected.length;
  try {
    await until("the pharmacy has every event", 10000, async () => {
      const have = new Set(ids(env.WL_DATA_3));
      missing = expected.filter((id) => !have.has(id)).length;
      return missing === 0;
    });
  } catch { /* reported below */ }
  figures.catch_up_ms = missing === 0 ? Date.now() - upAt : null;
  check("4. the pharmacy has every event within 10 s of its link's return",
    missing === 0, missing ? `${missing} of ${expected.length} missing` :
      `${figures.catch_up_ms} ms, ${expected.length} events`);
  const onPharmacy = ids(env.WL_DATA_3);
  check("4. the pharmacy stores no event twice",
    new Set(onPharmacy).size === onPharmacy.length,
    `${onPharmacy.length - new Set(onPharmacy).size} duplicates`);

  // 5. A medication clarification request from B, confirmed at the
  // pharmacy.
  step = "tablet B asks the pharmacy";
  await B.page.getByRole("button", { name: "Pharmacy" }).click();
  await B.page.getByLabel("Patient and bed").fill("Bed 4");
  await B.page.getByLabel("Drug").fill("Enoxaparin");
  await B.page.getByLabel("Dose").fill("40 mg");
  await B.page.getByLabel("Route").fill("subcutaneous");
  await B.page.getByLabel("Question").fill("Creatinine clearance 25 mL/min: reduce to 30 mg?");
  await B.page.getByRole("button", { name: "Ask the pharmacy" }).click();
  await B.page.getByText("Waiting for the pharmacy").waitFor();
  await logIn(C, baseC, "paul");
  step = "the pharmacist confirms";
  await C.page.getByRole("button", { name: "Pharmacy" }).click();
  await C.page.getByText("Creatinine clearance 25 mL/min").waitFor({ timeout: 10000 });
  await C.page.getByLabel("Comment").fill("Yes, 30 mg once daily; recheck in 48 h.");
  await C.page.getByRole("button", { name: /^Confirm/ }).click();
  await C.page.getByText("Confirmed by paul: Yes, 30 mg once daily").waitFor();
  await C.page.screenshot({ path: join(shots, "pharmacy.png"), fullPage: true });
  await B.page.getByText("Confirmed by paul: Yes, 30 mg once daily").waitFor({ timeout: 5000 });
  check("5. the pharmacist confirms the request sent from tablet B", true);

  // 6. Tablet A, left alone since step 3, locks itself.
  step = "tablet A locks itself";
  await A.page.getByRole("heading", { name: "Locked" })
    .waitFor({ timeout: (Number(env.WL_IDLE_A) + 10) * 1000 });
  const idleS = Math.round((Date.now() - lastActivityA) / 1000);
  check("6. tablet A locks itself when idle", true, `locked after at most ${idleS} s`);
  check("6. tablet A shows no patient while locked",
    (await A.page.getByText(bed4).count()) === 0);
  await A.page.screenshot({ path: join(shots, "locked-a.png") });

  // The board on tablet B after the story, for the README.
  step = "the board on tablet B";
  await B.page.getByRole("button", { name: "4 West" }).click();
  await bedRow(B.page, 4).getByText("Watcher").waitFor();
  await B.page.screenshot({ path: join(shots, "board-b.png") });
} catch (err) {
  check("the story runs to its end", false, `at "${step}": ${err.message.split("\n")[0]}`);
  for (const t of [A, B, C])
    await t.page.screenshot({ path: join(shots, `failure-${t.name}.png`) }).catch(() => {});
  link("up");
}

for (const t of [A, B, C]) await t.context.close();
writeFileSync(env.WL_FIGURES, JSON.stringify(figures) + "\n");
console.log(`story: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
