// Browser test of the web UI on one node (127.0.0.1, discovery off),
// with Debian's chromium driven by playwright-core. The node, its users,
// its ward and patients are set up by tests/e2e/run.sh, which passes the
// address and the passwords in the environment. Screenshots go to
// tests/e2e/screenshots. Prints "e2e: N passed, N failed".
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../web/package.json"));
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const base = process.env.WL_BASE;
const nursePw = process.env.WL_NURSE_PW;
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

let passed = 0;
let failed = 0;
let last = "start"; // the last check passed, to place a failure
function check(name, ok, detail = "") {
  last = name;
  if (ok) {
    passed++;
    console.log(`ok: ${name}`);
  } else {
    failed++;
    console.log(`FAILED: ${name}${detail ? ": " + detail : ""}`);
  }
}

// Run axe-core on the page; fail on serious or critical violations.
async function accessible(page, view) {
  // Evaluated through the DevTools protocol: the page's CSP rightly
  // forbids inline scripts, and the test must not weaken it.
  if (!(await page.evaluate(() => Boolean(window.axe))))
    await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    if (!window.axe) return { error: "axe did not load" };
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.length} nodes`);
  });
  const bad = Array.isArray(result) ? result : [result.error];
  check(`axe finds no serious violation on the ${view}`, bad.length === 0,
    bad.join("; "));
}

// A fresh profile directory each run (playwright passes it to chromium
// as --user-data-dir).
const context = await chromium.launchPersistentContext(process.env.WL_PROFILE, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update",
    "--no-first-run"],
  viewport: { width: 1280, height: 800 },
});
const page = context.pages()[0] || await context.newPage();
const pageErrors = [];
page.on("pageerror", (err) => pageErrors.push(err.message));
// Refused requests (the session probe before login) are expected; script
// errors and CSP violations are not.
page.on("console", (msg) => {
  if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource"))
    pageErrors.push(msg.text());
});
const start = Date.now();

try {
  await page.goto(base + "/");
  await page.getByLabel("Username").waitFor();
  await page.screenshot({ path: join(shots, "login.png") });
  check("the login view shows", await page.getByRole("button", { name: "Log in" }).isVisible());

  // The page's own scripts only: the CSP forbids inline script.
  const csp = (await page.request.get(base + "/")).headers()["content-security-policy"] || "";
  check("pages carry a strict Content-Security-Policy",
    csp.includes("script-src 'self'") && !csp.includes("unsafe-inline"));
  await accessible(page, "login view");

  await page.getByLabel("Username").fill("nina");
  await page.getByLabel("Password").fill("a wrong password here");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").waitFor();
  check("a wrong password is refused", (await page.getByRole("alert").innerText()).length > 0);

  await page.getByLabel("Password").fill(nursePw);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByLabel("New PIN").waitFor({ timeout: 10000 });
  await page.screenshot({ path: join(shots, "pin-setup.png") });
  await page.getByLabel("New PIN").fill("2580");
  await page.getByRole("button", { name: "Save PIN" }).click();

  await page.locator("table.board tbody tr").first().waitFor({ timeout: 10000 });
  const rows = await page.locator("table.board tbody tr").count();
  check("the ward board lists the patients", rows === Number(process.env.WL_PATIENTS),
    `${rows} rows`);
  check("severity shows as a word", await page.getByText("Watcher").first().isVisible());
  await page.screenshot({ path: join(shots, "board.png"), fullPage: true });

  // An open page must not feed itself: its audited fetches must not
  // announce changes that make it fetch again.
  const events = async () =>
    (await (await page.request.get(base + "/status")).json()).store.events;
  const before = await events();
  await page.waitForTimeout(2000);
  const after = await events();
  check("an idle board writes nothing", after - before <= 1, `${after - before} events in 2 s`);
  await accessible(page, "ward board");

  // A tablet held upright: the board must fit its width (no sideways
  // scrolling of the page) and its buttons stay at least 44 px high.
  await page.setViewportSize({ width: 768, height: 1024 });
  await page.screenshot({ path: join(shots, "board-portrait.png"), fullPage: true });
  const table = await page.locator("table.board").boundingBox();
  check("the board fits a portrait tablet", table && table.x + table.width <= 768,
    table ? `${Math.round(table.x + table.width)} px wide` : "no table");
  const small = [];
  for (const b of await page.getByRole("button").all()) {
    const box = await b.boundingBox();
    if (box && box.height < 44) small.push(`${await b.innerText()} ${Math.round(box.height)} px`);
  }
  check("every button is at least 44 px high", small.length === 0, small.slice(0, 3).join(", "));
  await page.setViewportSize({ width: 1280, height: 800 });

  const countdown = await page.locator(".countdown").innerText();
  check("a visible countdown shows the time to the idle lock",
    /Locks in 0:(0[1-9]|1[0-9]|2[0-5])/.test(countdown), countdown);
  await page.getByRole("button", { name: "Hollis Quarrington" }).click();
  await page.getByRole("heading", { name: /Hollis Quarrington, bed 4/ }).waitFor();
  check("a patient's record opens", true);

  // The I-PASS handoff: severity, summary, actions, contingency, then the
  // receiver's synthesis and acknowledgment, each saved and in the history.
  await page.getByRole("button", { name: "Unstable" }).click();
  await page.locator('button.severity.unstable.chosen').waitFor();
  await page.getByLabel("Patient summary").fill("81-year-old man, day 3 of pneumonia, on 2 L oxygen.");
  await page.getByRole("button", { name: "Save patient summary" }).click();
  // Two actions with owner and due time, one overdue, and an if/then plan.
  await page.getByLabel("New action").fill("Recheck potassium");
  await page.getByLabel("Owner").fill("nina");
  await page.getByLabel("Due (HH:MM)").fill("00:00");
  await page.getByRole("button", { name: "Add action" }).click();
  await page.getByText("Overdue").first().waitFor();
  await page.getByLabel("New action").fill("Chest X-ray");
  await page.getByLabel("Owner").fill("physician");
  await page.getByLabel("Due (HH:MM)").fill("23:59");
  await page.getByRole("button", { name: "Add action" }).click();
  await page.getByText("Chest X-ray").waitFor();
  await page.getByLabel("If", { exact: true }).fill("SpO2 below 90%");
  await page.getByLabel("Then", { exact: true }).fill("call the rapid response team");
  await page.getByRole("button", { name: "Add if/then" }).click();
  await page.getByText("If SpO2 below 90%, then call the rapid response team").waitFor();
  await page.getByLabel("Synthesis by receiver").fill("Potassium at 02:00, watch SpO2.");
  await page.getByRole("button", { name: "Save synthesis by receiver" }).click();
  await page.getByRole("button", { name: "Acknowledge handoff" }).click();
  await page.getByText("Received and acknowledged by nina").waitFor();
  check("the handoff is written and acknowledged", true);
  await page.getByText("History of the handoff").click();
  await page.locator(".history").nth(1).locator("li").first().waitFor();
  const changes = await page.locator(".history").nth(1).locator("li").count();
  check("the handoff's history lists each change", changes >= 4, `${changes} changes`);
  await page.locator(".tasks li", { hasText: "Chest X-ray" }).getByRole("button", { name: "Mark done" }).click();
  await page.getByText("done by nina").waitFor();
  check("actions are added, flagged overdue and closed; the if/then plan shows", true);
  await page.getByLabel("Message about this patient").fill("Family asks for a call after 18:00");
  await page.getByRole("button", { name: "Send to the ward" }).click();
  await page.locator(".patient-thread li", { hasText: "Family asks for a call" }).waitFor();
  check("a message about the patient shows in the patient's thread", true);
  await page.screenshot({ path: join(shots, "patient.png"), fullPage: true });
  await accessible(page, "patient view");
  await page.getByRole("button", { name: "Back to the board" }).click();
  const row = await page.locator("tr", { hasText: "Hollis Quarrington" }).innerText();
  check("the board shows the new severity", row.includes("Unstable"));
  check("the board counts open and overdue tasks", /1 \(1 overdue\)/.test(row), row.replace(/\s+/g, " "));

  await page.getByRole("button", { name: "Messages" }).click();
  await page.getByLabel("Message").fill("Bed 4 potassium 5.9, recheck at 14:00");
  await page.getByLabel("Urgent").check();
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByText("Bed 4 potassium 5.9").waitFor();
  check("an urgent message posts and shows", await page.locator(".thread li.urgent").count() === 1);
  const state = await page.locator(".thread li.urgent .delivery").innerText();
  check("its delivery state says it is saved here and on no other device yet",
    /Saved on this device; not on another device yet/.test(state), state);

  // Live update: a message written by another process on this node shows
  // without a reload, through the node's WebSocket.
  const posted = Date.now();
  execFileSync(join(here, "../../node/wardline"), ["message", "post",
    "--data-dir", process.env.WL_DATA, "--space", "4 West", "--as", "nina",
    "--password-file", process.env.WL_NURSE_PWFILE,
    "--text-file", process.env.WL_LIVE_TEXT], { stdio: "ignore" });
  await page.getByText("Written on another screen").waitFor({ timeout: 5000 });
  check("a message from elsewhere appears within 2 s", Date.now() - posted < 2000 + 1500,
    `${Date.now() - posted} ms including the CLI's login`);
  await page.screenshot({ path: join(shots, "messages.png"), fullPage: true });
  await accessible(page, "messages view");

  // A direct conversation with the charge nurse.
  await page.getByRole("button", { name: "New conversation" }).click();
  await page.getByLabel(/Carla Charge/).check();
  await page.getByRole("button", { name: "Start conversation" }).click();
  await page.getByRole("button", { name: /^Chat: / }).waitFor();
  await page.getByLabel("Message").fill("Can you cover bed 5 at 15:00?");
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByText("Can you cover bed 5 at 15:00?").waitFor();
  check("a direct conversation starts and carries a message", true);
  await page.screenshot({ path: join(shots, "direct-conversation.png"), fullPage: true });
  await accessible(page, "direct conversation");
  await page.getByRole("button", { name: "4 West" }).click();

  // The shift handoff: give two patients to the charge nurse; bed 4 was
  // acknowledged already, so one of two is received.
  await page.getByRole("button", { name: "Board" }).click();
  await page.getByRole("button", { name: "Shift handoff" }).click();
  await page.getByLabel("Incoming nurse").selectOption("carla");
  await page.getByLabel(/Bed 4: Hollis Quarrington/).check();
  await page.getByLabel(/Bed 5: Oren Lachapelle/).check();
  await page.getByRole("button", { name: "Give handoff" }).click();
  await page.getByText("1 of 2 handed-over patients received").waitFor();
  check("the shift handoff shows its progress", true);
  await page.screenshot({ path: join(shots, "shift-handoff.png"), fullPage: true });
  await accessible(page, "shift handoff view");
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: join(shots, "handoff-sheet-print.png"), fullPage: true });
  check("the printed sheet lists every patient's I-PASS",
    (await page.locator(".print-sheet article").count()) === Number(process.env.WL_PATIENTS));
  await page.emulateMedia({ media: "screen" });

  // The pharmacy: the nurse sends a medication clarification request.
  await page.getByRole("button", { name: "Pharmacy" }).click();
  await page.getByLabel("Patient and bed").fill("Bed 4, Hollis Quarrington");
  await page.getByLabel("Drug").fill("Enoxaparin");
  await page.getByLabel("Dose").fill("40 mg");
  await page.getByLabel("Route").fill("subcutaneous");
  await page.getByLabel("Question").fill("Creatinine clearance 25 mL/min: reduce to 30 mg?");
  await page.getByRole("button", { name: "Ask the pharmacy" }).click();
  await page.getByText("Waiting for the pharmacy").waitFor();
  check("a medication clarification request is sent", true);
  await page.screenshot({ path: join(shots, "pharmacy-request.png"), fullPage: true });
  await accessible(page, "pharmacy view");
  await page.getByRole("button", { name: "4 West" }).click();
  await page.getByRole("button", { name: "Messages" }).click();

  // A lone node: the banner shows since when no device is reachable, and
  // the devices view lists none.
  await page.locator(".offline").waitFor({ timeout: 5000 });
  check("the offline banner shows on a lone node",
    (await page.locator(".offline").innerText()).includes("Your work is saved on this device"));
  await page.getByRole("button", { name: "Devices" }).click();
  await page.getByRole("heading", { name: "Devices and sync" }).waitFor();
  await page.screenshot({ path: join(shots, "devices.png"), fullPage: true });
  await accessible(page, "devices view");
  await page.getByRole("button", { name: "Messages" }).click();

  // A state change without the CSRF token is refused, even from the page.
  const status = await page.evaluate(async () => (await fetch("/api/pin", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ pin: "2468" }) })).status);
  check("a POST without the CSRF token is refused", status === 403, `status ${status}`);

  // Idle lock: the node's idle time is short in this test.
  await page.getByRole("heading", { name: "Locked" }).waitFor({ timeout: 30000 });
  await page.screenshot({ path: join(shots, "locked.png") });
  check("the session locks itself when idle", true);
  await accessible(page, "lock view");
  await page.getByLabel("PIN").fill("2580");
  await page.getByRole("button", { name: "Unlock" }).click();
  await page.locator("nav.spaces").waitFor();
  check("the PIN unlocks it", true);

  await page.getByRole("button", { name: "Lock" }).click();
  for (let i = 0; i < 5; i++) {
    await page.getByLabel("PIN").fill("9999");
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.waitForTimeout(300);
  }
  await page.getByRole("button", { name: "Log in" }).waitFor({ timeout: 10000 });
  check("five wrong PINs end the session", true);

  // The pharmacist replies to the request.
  await page.getByLabel("Username").fill("paul");
  await page.getByLabel("Password").fill(process.env.WL_PHARMACIST_PW);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Later" }).click();
  await page.getByRole("button", { name: "Pharmacy" }).click();
  await page.getByText("Creatinine clearance 25 mL/min").waitFor();
  check("the pharmacist sees no ward he is not a member of",
    await page.getByRole("button", { name: "4 West" }).count() === 0);
  await page.getByLabel("Comment").fill("Yes, 30 mg once daily; recheck in 48 h.");
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByText("Confirmed by paul: Yes, 30 mg once daily").waitFor();
  check("the pharmacist confirms with a comment", true);
  await page.screenshot({ path: join(shots, "pharmacy-answer.png"), fullPage: true });

  // The charge nurse acknowledges the urgent message on the ward channel.
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("Username").fill("carla");
  await page.getByLabel("Password").fill(process.env.WL_CHARGE_PW);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Later" }).click();
  // It stays unacknowledged past the escalation time (8 s here), so the
  // charge nurse gets it in red on every view.
  const alert = page.locator(".alerts .alert.escalated", { hasText: "Bed 4 potassium 5.9" });
  await alert.waitFor({ timeout: 20000 });
  check("an unacknowledged urgent message escalates to the charge nurse",
    (await alert.innerText()).includes("Escalated to you, the charge nurse"));
  await page.screenshot({ path: join(shots, "alert-escalated.png"), fullPage: true });
  await accessible(page, "escalated alert");
  const hollis = page.locator("tr", { hasText: "Hollis Quarrington" });
  check("the board counts the patient's unread messages",
    (await hollis.innerText()).includes("1 unread"), (await hollis.innerText()).replace(/\s+/g, " "));
  await hollis.getByRole("button", { name: "Hollis Quarrington" }).click();
  await page.locator(".patient-thread li", { hasText: "Family asks for a call" }).waitFor();
  await page.getByRole("button", { name: "Back to the board" }).click();
  await page.waitForTimeout(800);
  check("reading the thread clears the count",
    !(await page.locator("tr", { hasText: "Hollis Quarrington" }).innerText()).includes("unread"));
  await page.getByRole("button", { name: "Messages" }).click();
  const urgent = page.locator(".thread li.urgent", { hasText: "Bed 4 potassium 5.9" });
  await urgent.getByText("Not acknowledged yet").waitFor();
  await urgent.getByRole("button", { name: "Acknowledge" }).click();
  await urgent.getByText("Acknowledged by carla").waitFor();
  check("the charge nurse acknowledges the urgent message", true);
  await alert.waitFor({ state: "detached", timeout: 20000 });
  check("the alert goes once the message is acknowledged", true);
  await urgent.getByText(/Read by .*carla/).waitFor({ timeout: 5000 });
  check("the message shows who read it", true);
  await page.screenshot({ path: join(shots, "messages-acknowledged.png"), fullPage: true });
  await page.getByRole("button", { name: /^Chat: / }).click();
  await page.getByText("Can you cover bed 5 at 15:00?").waitFor();
  check("the other member reads the direct conversation", true);
  await page.getByText(/Read by carla/).waitFor({ timeout: 5000 });
  await page.getByRole("button", { name: "Log out" }).click();

  // The admin: three wrong passwords lock paul's account on the node; the
  // admin unlocks it, changes the retention policy and reads the audit log.
  last = "admin";
  for (let i = 0; i < 3; i++) {
    await page.getByLabel("Username").fill("paul");
    await page.getByLabel("Password").fill("not his password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator(".error").waitFor();
  }
  await page.getByLabel("Username").fill("alice");
  await page.getByLabel("Password").fill(process.env.WL_ADMIN_PW);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Later" }).click();
  await page.getByRole("heading", { name: "Administration" }).waitFor({ timeout: 5000 });
  check("an admin without a ward starts in the Admin view", true);
  await page.getByRole("button", { name: "Admin" }).click();
  const paulRow = page.locator("tr", { hasText: "Paul Pharmacist" });
  await paulRow.getByText("locked").waitFor();
  check("the admin sees users, roles and a locked account",
    (await page.locator(".admin tbody tr").count()) >= 5);
  await page.screenshot({ path: join(shots, "admin-users.png"), fullPage: true });
  await accessible(page, "admin users view");
  await paulRow.getByRole("button", { name: "Unlock paul" }).click();
  await paulRow.getByText("active").waitFor();
  check("the admin unlocks the account", true);
  await page.getByLabel("Username").fill("olga");
  await page.getByLabel("Full name").fill("Olga Nightnurse");
  await page.locator("select[name=new-role]").selectOption("nurse");
  await page.getByLabel("First password").fill("password");
  await page.getByRole("button", { name: "Add user" }).click();
  await page.locator(".admin .error").waitFor();
  check("a weak first password is refused", true);
  await page.getByLabel("First password").fill("lantern over the night ward");
  await page.getByRole("button", { name: "Add user" }).click();
  await page.locator("tr", { hasText: "Olga Nightnurse" }).waitFor({ timeout: 10000 });
  check("the admin adds a user", true);
  await page.locator(".admin nav").getByRole("button", { name: "Retention" }).click();
  await page.getByLabel("Messages (days)").fill("3650");
  await page.getByRole("button", { name: "Save policy" }).click();
  await page.getByText("Policy saved").waitFor();
  check("the admin sets the retention policy",
    (await page.getByLabel("Messages (days)").inputValue()) === "3650");
  await accessible(page, "admin retention view");
  await page.locator(".admin nav").getByRole("button", { name: "Devices" }).click();
  await page.getByText("wardline revoke").waitFor();
  await page.locator(".admin nav").getByRole("button", { name: "Wards" }).click();
  await page.getByRole("heading", { name: /4 West/ }).waitFor();
  const west = page.locator(".ward-admin", { hasText: "4 West" });
  check("the wards view lists the members", await west.getByText("Nina Nurse").count() === 1);
  await west.locator("select").selectOption("olga");
  await west.getByRole("button", { name: "Add to 4 West" }).click();
  await west.getByText("Olga Nightnurse").waitFor();
  check("the admin adds the new user to a ward", true);
  await accessible(page, "admin wards view");
  await page.locator(".admin nav").getByRole("button", { name: "Audit log" }).click();
  await page.getByLabel("Action").fill("user_unlocked");
  await page.getByRole("button", { name: "Show records" }).click();
  await page.waitForTimeout(1500);
  const found = await page.locator(".admin [role=status]").innerText();
  await page.screenshot({ path: join(shots, "admin-audit-filtered.png"), fullPage: true });
  check("the audit log filters by action", found.startsWith("1 records") &&
    (await page.locator(".audit tbody tr").innerText()).includes("alice"), found);
  await page.getByLabel("Action").fill("");
  await page.getByRole("button", { name: "Show records" }).click();
  await page.locator(".audit tbody tr", { hasText: "policy_changed" }).first().waitFor();
  await page.screenshot({ path: join(shots, "admin-audit.png"), fullPage: true });
  await accessible(page, "admin audit view");
  check("an admin may not export the audit log",
    (await page.request.get(base + "/api/audit?format=csv")).status() === 403);
  await page.getByRole("button", { name: "Log out" }).click();

  // The compliance officer exports the audit log as CSV.
  await page.getByLabel("Username").fill("cora");
  await page.getByLabel("Password").fill(process.env.WL_COMPLIANCE_PW);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Later" }).click();
  await page.getByRole("button", { name: "Admin" }).click();
  const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
  const csv = await page.request.get(base + href);
  const text = await csv.text();
  check("the compliance officer exports the audit log as CSV",
    csv.status() === 200 && text.startsWith('"time_ms","node","action"') &&
    text.includes('"user_unlocked"') && text.includes('"audit_viewed"'),
    `${csv.status()} ${text.slice(0, 60)}`);
} catch (err) {
  check("the scenario runs to its end", false,
    `after "${last}": ${err.message.split("\n")[0]}`);
  await page.screenshot({ path: join(shots, "failure.png") }).catch(() => {});
}

check("the page logged no script error", pageErrors.length === 0,
  pageErrors.slice(0, 3).join(" | "));
console.log(`e2e: scenario took ${Date.now() - start} ms`);
await context.close();
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
