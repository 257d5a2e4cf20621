// The enrollment page that a device shows until it has a certificate of
// its site. It shows the node key for the admin, takes the token that
// `wardline enroll-token` printed, and waits while the node restarts with
// its certificate. An enrolled node sends the browser on to the main UI.
import { html, render, useState, useEffect } from "./vendor/preact-htm.js";

const POLL_MS = 1000;

async function enrollState() {
  const res = await fetch("/api/enroll", { credentials: "same-origin" });
  if (!res.ok) throw new Error(`request failed (${res.status})`);
  return res.json();
}

async function sendToken(token) {
  const res = await fetch("/api/enroll", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ token }),
  });
  let data = {};
  try {
    data = await res.json();
  } catch (e) {
    data = {};
  }
  if (!res.ok) throw new Error(data.message || `request failed (${res.status})`);
  return data;
}

// The node key in groups of four hex digits, to read out or type.
function grouped(hex) {
  return hex.match(/.{1,4}/g).join(" ");
}

// Poll until the node responds again after its restart, then open the UI.
function useRestartWatch(active) {
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(async () => {
      try {
        const s = await enrollState();
        if (s.enrolled && !s.restarting) location.replace("/");
      } catch (e) {
        // The node is restarting and does not respond yet.
      }
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [active]);
}

function Enroll({ state }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(null);

  useRestartWatch(done !== null);

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      setDone(await sendToken(token.trim()));
    } catch (err) {
      setError(err.message);
    }
    setBusy(false);
  }

  if (done) {
    return html`
      <section class="card enroll" aria-live="polite">
        <h1>Enrolled</h1>
        <p>This device joined the site as <strong>${done.name}</strong>.
          Wardline restarts to connect to the other devices; the login page
          opens by itself.</p>
      </section>`;
  }

  return html`
    <form class="card enroll" onSubmit=${submit} aria-labelledby="enroll-title">
      <h1 id="enroll-title">Enroll this device</h1>
      <p>This device does not belong to a site yet. An administrator of
        your site enrolls it in three steps.</p>
      <ol>
        <li>Give the administrator this device's node key:
          <p class="node-key" id="node-key">${grouped(state.node)}</p></li>
        <li>The administrator runs${" "}
          <code>wardline enroll-token --site-dir SITE --node-key KEY --name NAME</code>${" "}
          and gives you the token it prints, a line that starts with${" "}
          <code>WLT1.</code></li>
        <li>Paste or type the token here:</li>
      </ol>
      <label>Enrollment token
        <textarea name="token" value=${token} spellcheck="false"
          autocomplete="off" autocapitalize="off"
          onInput=${(e) => setToken(e.target.value)} required></textarea>
      </label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" disabled=${busy || token.trim() === ""}>
        ${busy ? "Checking…" : "Enroll"}</button>
    </form>`;
}

function Failed({ message }) {
  return html`
    <section class="card enroll">
      <h1>Wardline is not answering</h1>
      <p class="error" role="alert">${message}</p>
      <p>The page tries again every few seconds.</p>
    </section>`;
}

function show(view) {
  const root = document.getElementById("app");
  root.querySelector(".loading")?.remove();
  render(view, root);
}

async function start() {
  try {
    const state = await enrollState();
    if (state.enrolled && !state.restarting) {
      location.replace("/");
      return;
    }
    if (state.restarting) {
      setTimeout(start, POLL_MS);
      return;
    }
    show(html`<${Enroll} state=${state} />`);
  } catch (err) {
    // The node may still be starting (the kiosk opens at boot).
    show(html`<${Failed} message=${err.message} />`);
    setTimeout(start, 3 * POLL_MS);
  }
}

start();
