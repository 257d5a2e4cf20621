// The Wardline web UI: login, idle lock with PIN unlock, the ward board,
// a patient's record and the ward's messages. Preact with htm, as one ES
// module from the htm package, served by the node itself: no CDN and no
// build step.
import { html, render, useState, useEffect, useRef } from "./vendor/preact-htm.js";
import { api, ApiError } from "./api.js";

const SEVERITY = { stable: "Stable", watcher: "Watcher", unstable: "Unstable" };

function Login({ onDone }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const s = await api.login(username, password);
      setPassword("");
      onDone(s);
    } catch (err) {
      setError(err.status === 429 ? "Too many tries. Wait a moment." : err.message);
    }
    setBusy(false);
  }

  return html`
    <form class="card login" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">Wardline</h1>
      <label>Username
        <input name="username" autocomplete="username" value=${username}
          onInput=${(e) => setUsername(e.target.value)} required />
      </label>
      <label>Password
        <input name="password" type="password" autocomplete="current-password"
          value=${password} onInput=${(e) => setPassword(e.target.value)} required />
      </label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" disabled=${busy}>${busy ? "Checking…" : "Log in"}</button>
    </form>`;
}

function Locked({ session, onUnlocked, onEnded }) {
  const [pin, setPin] = useState("");
  const [error, setError] = useState("");

  async function submit(e) {
    e.preventDefault();
    try {
      await api.unlock(pin);
      setPin("");
      onUnlocked();
    } catch (err) {
      setPin("");
      if (err.status === 401) onEnded("Too many wrong PINs. Log in again.");
      else setError(err.status === 403 && err.code === "wrong_pin"
        ? "Wrong PIN." : err.message);
    }
  }

  return html`
    <form class="card login" onSubmit=${submit} aria-labelledby="lock-title">
      <h1 id="lock-title">Locked</h1>
      <p>${session.display_name}, enter your PIN to continue.</p>
      <label>PIN
        <input name="pin" type="password" inputmode="numeric" autocomplete="off"
          value=${pin} onInput=${(e) => setPin(e.target.value)} required />
      </label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit">Unlock</button>
      <button type="button" class="secondary" onClick=${() => onEnded("")}>Log in as someone else</button>
    </form>`;
}

function PinSetup({ onDone }) {
  const [pin, setPin] = useState("");
  const [error, setError] = useState("");

  async function submit(e) {
    e.preventDefault();
    try {
      await api.setPin(pin);
      onDone();
    } catch (err) {
      setError(err.message);
    }
  }
  return html`
    <form class="card pin-setup" onSubmit=${submit}>
      <h2>Set a PIN</h2>
      <p>With a PIN of 4 to 8 digits you unlock this tablet quickly after it locks itself.</p>
      <label>New PIN
        <input name="new-pin" type="password" inputmode="numeric" autocomplete="off"
          value=${pin} onInput=${(e) => setPin(e.target.value)} required />
      </label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit">Save PIN</button>
      <button type="button" class="secondary" onClick=${onDone}>Later</button>
    </form>`;
}

function Countdown({ ms }) {
  const m = Math.floor(ms / 60000);
  const s = Math.floor((ms % 60000) / 1000);
  return html`<span class="countdown" aria-live="off">Locks in ${m}:${String(s).padStart(2, "0")}</span>`;
}

function Board({ ward, onOpen }) {
  const tasksOf = (p) => ward.entities.filter(
    (e) => e.id.startsWith("task/") && e.fields.patient === p.id && (e.fields.state || "open") === "open");
  if (!ward) return html`<p>Loading the ward…</p>`;
  const patients = [...ward.patients].sort(
    (a, b) => Number(a.fields.bed || 0) - Number(b.fields.bed || 0));
  return html`
    <table class="board census">
      <caption>${ward.name}: ${patients.length} patients</caption>
      <thead><tr>
        <th scope="col">Bed</th><th scope="col">Patient</th><th scope="col">Age, sex</th>
        <th scope="col">Severity</th><th scope="col">Main problems</th>
        <th scope="col">Allergies</th><th scope="col">Code status</th>
        <th scope="col">Nurse</th><th scope="col">Open tasks</th><th scope="col">Unread</th>
      </tr></thead>
      <tbody>${patients.map((p) => {
        const f = p.fields;
        const sev = f.severity || "";
        return html`<tr key=${p.id}>
          <td class="bed" data-label="Bed">${f.bed || "–"}</td>
          <td class="name" data-label="Patient"><button class="link" onClick=${() => onOpen(p)}>${f.name || p.id}</button></td>
          <td data-label="Age, sex">${f.age || "?"}, ${f.sex || "?"}</td>
          <td data-label="Severity"><span class=${"severity " + (sev || "unset")}>${SEVERITY[sev] || "Not set"}</span></td>
          <td class="problems" data-label="Main problems">${f.problems || ""}</td>
          <td data-label="Allergies">${f.allergies || "–"}</td>
          <td data-label="Code status">${f.code_status || "Not set"}</td>
          <td data-label="Nurse">${f.nurse || "–"}</td>
          <td data-label="Open tasks">${tasksOf(p).length}${tasksOf(p).some(overdue) ? html` <strong class="flag">(${tasksOf(p).filter(overdue).length} overdue)</strong>` : ""}</td>
          <td data-label="Unread">${p.unread ? html`<strong class="unread">${p.unread} unread</strong>` : "0"}</td>
        </tr>`;
      })}</tbody>
    </table>`;
}

const CODE_STATUS = ["Full code", "DNR", "DNR/DNI", "Comfort care"];

// One editable text field of an entity, saved on its own.
function Field({ label, name, value, multiline, onSave }) {
  const [text, setText] = useState(value || "");
  useEffect(() => setText(value || ""), [value]);
  const id = `f-${name}`;
  return html`
    <div class="field">
      <label for=${id}>${label}</label>
      ${multiline
        ? html`<textarea id=${id} value=${text} onInput=${(e) => setText(e.target.value)} />`
        : html`<input id=${id} value=${text} onInput=${(e) => setText(e.target.value)} />`}
      <button class="secondary" disabled=${text === (value || "")}
        onClick=${() => onSave({ [name]: text })}>Save ${label.toLowerCase()}</button>
    </div>`;
}

// The changes of one entity, fetched when the reader opens the list: each
// fetch decrypts the ward's log and is audited as a view of the record.
function History({ space, entity, version }) {
  const [items, setItems] = useState(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (open) api.history(space.id, entity).then((r) => setItems(r.history)).catch(() => {});
  }, [entity, version, open]);
  return html`
    <details class="history" onToggle=${(e) => setOpen(e.target.open)}>
      <summary>History of ${entity.startsWith("handoff/") ? "the handoff" : "the record"}${items ? ` (${items.length} changes)` : ""}</summary>
      <ol>${(items || []).map((h, i) => html`<li key=${i}>
        <time>${new Date(h.time_ms).toLocaleString()}</time> <strong>${h.author}</strong>:
        ${Object.keys(h.fields).map((k) => html` <span class="changed">${k.replace(/_/g, " ")}</span>`)}
      </li>`)}</ol>
    </details>`;
}

// A task is overdue when its due time (HH:MM today, or a full date and
// time) has passed and it is still open.
function overdue(t) {
  if ((t.fields.state || "open") !== "open" || !t.fields.due) return false;
  const due = /^\d\d:\d\d$/.test(t.fields.due)
    ? new Date(new Date().toDateString() + " " + t.fields.due) : new Date(t.fields.due);
  return !isNaN(due) && due < new Date();
}

function Tasks({ space, patient, tasks, session, onChanged }) {
  const [text, setText] = useState("");
  const [owner, setOwner] = useState("");
  const [due, setDue] = useState("");
  const [error, setError] = useState("");

  async function add(e) {
    e.preventDefault();
    try {
      await api.update(space.id, `task/${newId()}`, {
        patient: patient.id, text, owner, due, state: "open", created_by: session.user,
      });
      setText("");
      setOwner("");
      setDue("");
      onChanged();
    } catch (err) {
      setError(err.message);
    }
  }
  async function done(t) {
    try {
      await api.update(space.id, t.id, { patient: patient.id, state: "done", done_by: session.user });
      onChanged();
    } catch (err) {
      setError(err.message);
    }
  }
  return html`
    <section class="tasks" aria-labelledby="tasks-title">
      <h4 id="tasks-title">Action list</h4>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${tasks.length === 0 && html`<p class="muted">No actions yet.</p>`}
      <ul>${tasks.map((t) => html`<li key=${t.id} class=${(t.fields.state || "open") + (overdue(t) ? " overdue" : "")}>
        <span>${t.fields.text}</span>
        <span class="muted"> (${t.fields.owner || "unassigned"}${t.fields.due ? ", due " + t.fields.due : ""})</span>
        ${overdue(t) && html`<strong class="flag"> Overdue</strong>`}
        ${(t.fields.state || "open") === "open"
          ? html` <button class="secondary" onClick=${() => done(t)}>Mark done</button>`
          : html` <span class="muted">done by ${t.fields.done_by}</span>`}
      </li>`)}</ul>
      <form class="task-form" onSubmit=${add}>
        <label>New action<input name="task" value=${text} required onInput=${(e) => setText(e.target.value)} /></label>
        <label>Owner<input name="owner" value=${owner} required onInput=${(e) => setOwner(e.target.value)} /></label>
        <label>Due (HH:MM)<input name="due" value=${due} required pattern="[0-2][0-9]:[0-5][0-9]"
          onInput=${(e) => setDue(e.target.value)} /></label>
        <button type="submit">Add action</button>
      </form>
    </section>`;
}

// Situation awareness and contingency planning: one "If ..., then ..."
// line per plan, kept as lines of the handoff's contingency field.
function Contingency({ text, onSave }) {
  const [cond, setCond] = useState("");
  const [then, setThen] = useState("");
  const lines = text.split("\n").filter((l) => l.trim());

  function add(e) {
    e.preventDefault();
    onSave([...lines, `If ${cond.trim()}, then ${then.trim()}`].join("\n"));
    setCond("");
    setThen("");
  }
  return html`
    <section class="contingency" aria-labelledby="contingency-title">
      <h4 id="contingency-title">Situation awareness and contingency</h4>
      ${lines.length === 0 && html`<p class="muted">No if/then plan yet.</p>`}
      <ul>${lines.map((l, i) => html`<li key=${i}>${l}
        <button class="secondary" aria-label=${"Remove plan " + (i + 1)}
          onClick=${() => onSave(lines.filter((_, k) => k !== i).join("\n"))}>Remove</button></li>`)}</ul>
      <form class="task-form" onSubmit=${add}>
        <label>If<input name="if" value=${cond} required onInput=${(e) => setCond(e.target.value)} /></label>
        <label>Then<input name="then" value=${then} required onInput=${(e) => setThen(e.target.value)} /></label>
        <button type="submit">Add if/then</button>
      </form>
    </section>`;
}

// The patient's message thread: messages linked to this record, with
// the same delivery state as the channel. Reading it moves the reader's
// marker for this patient ("readp/USER.ID").
function PatientThread({ space, patient, session, version }) {
  const [list, setList] = useState([]);
  const [text, setText] = useState("");
  const [urgent, setUrgent] = useState(false);
  const [error, setError] = useState("");
  const suffix = patient.id.slice("patient/".length);
  async function load() {
    try {
      const mine = (await api.messages(space.id)).messages.filter((m) => m.patient === patient.id);
      setList(mine);
      const newest = mine.reduce((t, m) => Math.max(t, m.time_ms), 0);
      if (newest > 0 && (patient.unread || 0) > 0)
        await api.update(space.id, `readp/${session.user}.${suffix}`, { through_ms: String(newest) });
    } catch (err) {
      setError(err.message);
    }
  }
  useEffect(() => { load(); }, [patient.id, version]);
  async function send(e) {
    e.preventDefault();
    try {
      await api.post(space.id, text, urgent, patient.id);
      setText("");
      setUrgent(false);
      load();
    } catch (err) {
      setError(err.message);
    }
  }
  return html`
    <section class="patient-thread" aria-labelledby="thread-title">
      <h3 id="thread-title">Messages about ${patient.fields.name || "this patient"}</h3>
      ${list.length === 0 && html`<p class="muted">No messages about this patient yet.</p>`}
      <ol class="thread">${list.map((m) => html`
        <li key=${m.id} class=${m.urgent ? "urgent" : ""}>
          <span class="who">${m.author}</span> <time>${new Date(m.time_ms).toLocaleTimeString()}</time>
          ${m.urgent && html`<strong class="flag">Urgent</strong>`}
          <p>${m.text}</p>
          <p class="delivery muted">${delivery(m, [])}</p>
        </li>`)}</ol>
      <form onSubmit=${send}>
        <label>Message about this patient
          <textarea name="patient-message" value=${text} required onInput=${(e) => setText(e.target.value)}></textarea></label>
        <label class="check"><input type="checkbox" checked=${urgent}
          onChange=${(e) => setUrgent(e.target.checked)} /> Urgent</label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button type="submit">Send to the ward</button>
      </form>
    </section>`;
}

function Patient({ space, patient, handoff, tasks, session, live, onBack, onChanged }) {
  const f = patient.fields;
  const h = (handoff && handoff.fields) || {};
  const suffix = patient.id.slice("patient/".length);
  const handoffId = `handoff/${suffix}`;
  const [error, setError] = useState("");
  const [version, setVersion] = useState(0);
  // Opening the record is a view the node audits (once per opening: it
  // folds repeated reads of one record by one session).
  useEffect(() => { api.history(space.id, patient.id).catch(() => {}); }, [patient.id]);

  async function save(entity, fields) {
    setError("");
    try {
      await api.update(space.id, entity, fields);
      setVersion(version + 1);
      onChanged();
    } catch (err) {
      setError(err.message);
    }
  }
  const acknowledged = h.acknowledged_by;

  return html`
    <section class="card patient" aria-labelledby="patient-title">
      <button class="secondary" onClick=${onBack}>Back to the board</button>
      <h2 id="patient-title">${f.name || patient.id}, bed ${f.bed || "–"}</h2>
      <p>${f.age || "?"} years, ${f.sex || "?"}. Allergies: ${f.allergies || "none recorded"}.</p>
      <p>Problems: ${f.problems || "none recorded"}.</p>
      ${f.medications && html`<p>Medications: ${f.medications}.</p>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="row">
        <label for="code-status">Code status</label>
        <select id="code-status" value=${f.code_status || ""}
          onChange=${(e) => save(patient.id, { code_status: e.target.value })}>
          <option value="" disabled>Not set</option>
          ${CODE_STATUS.map((c) => html`<option value=${c}>${c}</option>`)}
        </select>
      </div>

      <h3>I-PASS handoff</h3>
      <fieldset class="severity-pick">
        <legend>Illness severity</legend>
        ${Object.keys(SEVERITY).map((k) => html`
          <button class=${"severity " + k + (f.severity === k ? " chosen" : "")}
            aria-pressed=${f.severity === k}
            onClick=${() => save(patient.id, { severity: k })}>${SEVERITY[k]}</button>`)}
      </fieldset>
      <${Field} label="Patient summary" name="summary" value=${h.summary} multiline
        onSave=${(x) => save(handoffId, { ...x, patient: patient.id, given_by: session.user })} />
      ${h.actions && html`<p><strong>Earlier action notes:</strong> ${h.actions}</p>`}
      <${Tasks} space=${space} patient=${patient} tasks=${tasks} session=${session}
        onChanged=${() => { setVersion(version + 1); onChanged(); }} />
      <${Contingency} text=${h.contingency || ""}
        onSave=${(text) => save(handoffId, { contingency: text, patient: patient.id })} />
      <${Field} label="Synthesis by receiver" name="synthesis" value=${h.synthesis} multiline
        onSave=${(x) => save(handoffId, x)} />
      <div class="row">
        ${acknowledged
          ? html`<p class="ack" role="status">Received and acknowledged by ${h.acknowledged_by} at ${h.acknowledged_at}.</p>`
          : html`<button onClick=${() => save(handoffId, {
              acknowledged_by: session.user,
              acknowledged_at: new Date().toISOString().slice(0, 16).replace("T", " "),
            })}>Acknowledge handoff</button>`}
      </div>
      <${PatientThread} space=${space} patient=${patient} session=${session} version=${version + live} />
      <${History} space=${space} entity=${patient.id} version=${version + live} />
      <${History} space=${space} entity=${handoffId} version=${version + live} />
    </section>`;
}

// The delivery state of a message: saved here, the number of other
// devices that have it, and the users who read it.
function delivery(m, readers) {
  const where = m.from_this_device
    ? `Saved on this device; ${m.reached === 0 ? "not on another device yet"
      : `reached ${m.reached} other device${m.reached === 1 ? "" : "s"}`}`
    : "Received on this device";
  return readers.length ? `${where}. Read by ${readers.join(", ")}.` : `${where}. Not read yet.`;
}

function Messages({ space, session, version }) {
  const [list, setList] = useState([]);
  const [acks, setAcks] = useState({});
  const [marks, setMarks] = useState({});
  const [text, setText] = useState("");
  const [urgent, setUrgent] = useState(false);
  const [error, setError] = useState("");

  async function load() {
    try {
      const messages = (await api.messages(space.id)).messages;
      setList(messages);
      // Acknowledgments of urgent messages: one entity per message, one
      // field per user who acknowledged it. Read markers: one entity per
      // reader, with the time of the newest message read.
      const w = await api.ward(space.id).catch(() => null);
      const byMessage = {};
      const read = {};
      for (const e of w ? w.entities : []) {
        if (e.id.startsWith("ack/")) byMessage[e.id.slice(4)] = e.fields;
        if (e.id.startsWith("read/")) read[e.id.slice(5)] = Number(e.fields.through_ms || 0);
      }
      setAcks(byMessage);
      setMarks(read);
      const newest = messages.reduce((t, m) => Math.max(t, m.time_ms), 0);
      if (newest > (read[session.user] || 0))
        await api.update(space.id, "read/" + session.user, { through_ms: String(newest) });
    } catch (err) {
      setError(err.message);
    }
  }
  async function acknowledge(m) {
    try {
      await api.update(space.id, "ack/" + m.id.slice(0, 32), {
        [session.user]: new Date().toISOString().slice(0, 16).replace("T", " "),
      });
      load();
    } catch (err) {
      setError(err.message);
    }
  }
  useEffect(() => { load(); }, [space.id, version]);

  async function send(e) {
    e.preventDefault();
    try {
      await api.post(space.id, text, urgent);
      setText("");
      setUrgent(false);
      load();
    } catch (err) {
      setError(err.message);
    }
  }

  return html`
    <section class="card messages" aria-labelledby="messages-title">
      <h2 id="messages-title">${space.name}: ${space.kind === "direct" ? "conversation" : "channel"}</h2>
      <ol class="thread">${list.map((m) => html`
        <li key=${m.id} class=${m.urgent ? "urgent" : ""}>
          <span class="who">${m.author}</span>
          <time>${new Date(m.time_ms).toLocaleTimeString()}</time>
          ${m.urgent && html`<strong class="flag">Urgent</strong>`}
          ${m.patient && html`<p class="muted">About ${m.patient_label || m.patient}</p>`}
          <p>${m.text}</p>
          <p class="delivery muted">${delivery(m, Object.keys(marks).filter(
            (u) => u !== m.author && marks[u] >= m.time_ms))}</p>
          ${m.urgent && (() => {
            const by = Object.keys(acks[m.id.slice(0, 32)] || {});
            return html`<p class="acks">${by.length
              ? `Acknowledged by ${by.join(", ")}` : "Not acknowledged yet"}
              ${m.author !== session.user && !by.includes(session.user) &&
                html` <button class="secondary" onClick=${() => acknowledge(m)}>Acknowledge</button>`}</p>`;
          })()}
        </li>`)}</ol>
      <form onSubmit=${send}>
        <label>Message
          <textarea name="message" value=${text} onInput=${(e) => setText(e.target.value)} required></textarea>
        </label>
        <label class="check"><input type="checkbox" checked=${urgent}
          onChange=${(e) => setUrgent(e.target.checked)} /> Urgent</label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button type="submit">Send</button>
      </form>
    </section>`;
}

const ANSWERS = { confirmed: "Confirmed", changed: "Changed", rejected: "Rejected" };
const ANSWER_BUTTONS = { confirmed: "Confirm", changed: "Change", rejected: "Reject" };

function newId() {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// Medication clarification requests in the pharmacy mailbox: clinicians
// ask, pharmacists confirm, change or reject with a comment.
function Pharmacy({ space, session, version, onChanged }) {
  const [requests, setRequests] = useState([]);
  const [form, setForm] = useState({ patient: "", drug: "", dose: "", route: "", question: "" });
  const [comment, setComment] = useState({});
  const [error, setError] = useState("");
  const pharmacist = session.role === "pharmacist";

  useEffect(() => {
    api.ward(space.id).then((w) => setRequests(
      w.entities.filter((e) => e.id.startsWith("request/"))
        .sort((a, b) => (a.fields.asked_at < b.fields.asked_at ? 1 : -1)))).catch((e) => setError(e.message));
  }, [space.id, version]);

  async function ask(e) {
    e.preventDefault();
    try {
      await api.update(space.id, `request/${newId()}`, {
        ...form, asked_by: session.user, asked_at: new Date().toISOString().slice(0, 16).replace("T", " "),
      });
      setForm({ patient: "", drug: "", dose: "", route: "", question: "" });
      onChanged();
    } catch (err) {
      setError(err.message);
    }
  }
  async function answer(r, state) {
    try {
      await api.update(space.id, r.id, { state, answer: comment[r.id] || "", answered_by: session.user });
      onChanged();
    } catch (err) {
      setError(err.message);
    }
  }
  const input = (name, label) => html`<label>${label}
    <input name=${name} value=${form[name]} required
      onInput=${(e) => setForm({ ...form, [name]: e.target.value })} /></label>`;

  return html`
    <section class="card" aria-labelledby="pharmacy-title">
      <h2 id="pharmacy-title">${space.name}: medication clarification</h2>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${!pharmacist && html`<form class="request" onSubmit=${ask}>
        ${input("patient", "Patient and bed")} ${input("drug", "Drug")}
        ${input("dose", "Dose")} ${input("route", "Route")}
        <label>Question<textarea name="question" value=${form.question} required
          onInput=${(e) => setForm({ ...form, question: e.target.value })} /></label>
        <button type="submit">Ask the pharmacy</button>
      </form>`}
      <ul class="requests">${requests.map((r) => {
        const f = r.fields;
        const state = f.state || "open";
        return html`<li key=${r.id} class=${"request " + state}>
          <p><strong>${f.patient}</strong>: ${f.drug} ${f.dose} ${f.route}</p>
          <p>${f.question} <span class="muted">(${f.asked_by}, ${f.asked_at})</span></p>
          <p class="state">${state === "open" ? "Waiting for the pharmacy"
            : `${ANSWERS[state] || state} by ${f.answered_by}${f.answer ? ": " + f.answer : ""}`}</p>
          ${pharmacist && state === "open" && html`
            <label>Comment<textarea value=${comment[r.id] || ""}
              onInput=${(e) => setComment({ ...comment, [r.id]: e.target.value })} /></label>
            ${Object.keys(ANSWER_BUTTONS).map((k) => html`<button class="secondary"
              onClick=${() => answer(r, k)}>${ANSWER_BUTTONS[k]}</button> `)}`}
        </li>`;
      })}</ul>
    </section>`;
}

// The shift handoff: the outgoing nurse picks the incoming nurse and the
// patients. Each goes from given to received when the receiver
// acknowledges it in the patient's record, and the sheet prints.
function ShiftHandoff({ space, ward, session, onChanged }) {
  const [members, setMembers] = useState([]);
  const [to, setTo] = useState("");
  const [picked, setPicked] = useState({});
  const [error, setError] = useState("");

  useEffect(() => {
    api.members(space.id).then((r) => setMembers(
      r.members.filter((m) => m.user !== session.user))).catch((e) => setError(e.message));
  }, [space.id]);
  if (!ward) return html`<p>Loading the ward…</p>`;

  const patients = [...ward.patients].sort(
    (a, b) => Number(a.fields.bed || 0) - Number(b.fields.bed || 0));
  const handoff = (p) => (ward.entities.find(
    (e) => e.id === "handoff/" + p.id.slice("patient/".length)) || { fields: {} }).fields;
  // A handoff acknowledged in the patient's record counts as given too.
  const given = patients.filter((p) => handoff(p).given_to || handoff(p).acknowledged_by);
  const received = given.filter((p) => handoff(p).acknowledged_by);

  async function give() {
    setError("");
    const at = new Date().toISOString().slice(0, 16).replace("T", " ");
    try {
      for (const p of patients.filter((x) => picked[x.id])) {
        await api.update(space.id, "handoff/" + p.id.slice("patient/".length), {
          patient: p.id, given_by: session.user, given_to: to, given_at: at,
        });
      }
      setPicked({});
      onChanged();
    } catch (err) {
      setError(err.message);
    }
  }

  return html`
    <section class="card shift" aria-labelledby="shift-title">
      <h2 id="shift-title">Shift handoff</h2>
      <p class="progress" role="status">${`${received.length} of ${given.length} handed-over patients received; ${patients.length - given.length} not handed over yet.`}</p>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <label>Incoming nurse
        <select name="incoming" value=${to} onChange=${(e) => setTo(e.target.value)}>
          <option value="">Choose…</option>
          ${members.map((m) => html`<option value=${m.user}>${m.display_name} (${m.role.replace(/_/g, " ")})</option>`)}
        </select>
      </label>
      <ul class="pick">${patients.map((p) => {
        const h = handoff(p);
        const state = h.acknowledged_by ? `received by ${h.acknowledged_by}`
          : h.given_to ? `given to ${h.given_to}` : "not handed over";
        return html`<li key=${p.id}><label class="check">
          <input type="checkbox" checked=${!!picked[p.id]}
            onChange=${(e) => setPicked({ ...picked, [p.id]: e.target.checked })} />
          Bed ${p.fields.bed}: ${p.fields.name} <span class="muted">(${state})</span></label></li>`;
      })}</ul>
      <button disabled=${!to || !Object.values(picked).some(Boolean)} onClick=${give}>Give handoff</button>
      <button class="secondary" onClick=${() => window.print()}>Print handoff sheet</button>
      <div class="print-sheet">
        <h2>${space.name}: handoff sheet, ${new Date().toLocaleString()}</h2>
        ${patients.map((p) => {
          const h = handoff(p);
          return html`<article key=${p.id}>
            <h3>Bed ${p.fields.bed}: ${p.fields.name}, ${p.fields.age || "?"} ${p.fields.sex || ""}</h3>
            <p><strong>Illness severity:</strong> ${SEVERITY[p.fields.severity] || "Not set"};${" "}
              <strong>code status:</strong> ${p.fields.code_status || "Not set"};${" "}
              <strong>allergies:</strong> ${p.fields.allergies || "none recorded"}</p>
            <p><strong>Patient summary:</strong> ${h.summary || ""}</p>
            <p><strong>Action list:</strong></p>
            <ul>${ward.entities.filter((e) => e.id.startsWith("task/") && e.fields.patient === p.id)
              .map((t) => html`<li key=${t.id}>${t.fields.text} (${t.fields.owner || "unassigned"},
                due ${t.fields.due || "–"}; ${t.fields.state === "done" ? "done" : "open"})</li>`)}</ul>
            <p><strong>Situation awareness:</strong></p>
            <ul>${(h.contingency || "").split("\n").filter((l) => l.trim())
              .map((l, i) => html`<li key=${i}>${l}</li>`)}</ul>
            <p><strong>Synthesis by receiver:</strong> ${h.synthesis || ""}</p>
          </article>`;
        })}
      </div>
    </section>`;
}

function ago(ms) {
  if (!ms) return "never";
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(ms).toLocaleString();
}

function Devices({ info }) {
  if (!info) return html`<p>Loading the devices…</p>`;
  return html`
    <section class="card" aria-labelledby="devices-title">
      <h2 id="devices-title">Devices and sync</h2>
      <p>This device: <strong>${info.name || info.node.slice(0, 16)}</strong></p>
      ${info.devices.length === 0 && html`<p>No other device has linked to this one since it started.</p>`}
      <table class="board">
        <thead><tr><th scope="col">Device</th><th scope="col">State</th><th scope="col">Last synced</th></tr></thead>
        <tbody>${info.devices.map((d) => html`<tr key=${d.node}>
          <td>${d.name || d.node.slice(0, 16)}</td>
          <td>${d.linked ? "Linked" : "Not reachable"}</td>
          <td>${ago(d.last_sync_ms)}</td></tr>`)}</tbody>
      </table>
    </section>`;
}

// A short tone when a new alert shows, for a nurse who is not looking at
// the screen. Browsers may refuse sound before the first touch.
function chime() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.3);
  } catch (e) { /* no sound on this device */ }
}

// Urgent messages without an acknowledgment in time: shown again to their
// readers and, once escalated, to the charge nurse as well.
function Alerts({ session, version, onChanged }) {
  const [alerts, setAlerts] = useState([]);
  const heard = useRef(new Set());
  useEffect(() => {
    const load = () => api.alerts().then((r) => {
      setAlerts(r.alerts);
      const fresh = r.alerts.filter((a) => !a.mine && !heard.current.has(a.id + a.escalated));
      for (const a of fresh) heard.current.add(a.id + a.escalated);
      if (fresh.length) chime();
    }).catch(() => {});
    load();
    const timer = setInterval(load, 15000);
    return () => clearInterval(timer);
  }, [version]);
  const charge = session.role === "charge_nurse";
  const shown = alerts;
  if (shown.length === 0) return null;

  async function acknowledge(a) {
    await api.update(a.space, "ack/" + a.id.slice(0, 32), {
      [session.user]: new Date().toISOString().slice(0, 16).replace("T", " "),
    }).catch(() => {});
    onChanged();
  }
  return html`<section class="alerts" aria-label="Unacknowledged urgent messages">
    ${shown.map((a) => {
      const min = Math.max(1, Math.round((Date.now() - a.time_ms) / 60000));
      const to = a.escalated ? (charge ? "Escalated to you, the charge nurse."
        : "Escalated to the charge nurse.") : "";
      return html`<div key=${a.id} class=${"alert" + (a.escalated ? " escalated" : "")} role="alert">
        <p><strong>Urgent, not acknowledged for ${min} min</strong> (${a.space_name}, from ${a.author}): ${a.text}</p>
        ${to && html`<p><strong>${to}</strong></p>`}
        ${a.mine ? html`<p>Nobody has acknowledged your message yet.</p>`
          : html`<button onClick=${() => acknowledge(a)}>Acknowledge</button>`}
      </div>`;
    })}
  </section>`;
}

function OfflineBanner({ info }) {
  if (!info || !info.alone_since_ms) return null;
  return html`<p class="offline" role="status">
    No other device is reachable since ${new Date(info.alone_since_ms).toLocaleTimeString()}.
    Your work is saved on this device and will be delivered when a device is back.</p>`;
}

// The admin's views: users and their accounts, wards and their members,
// devices, the retention policy, and the audit log with filters. The site
// key stays off the network, so enrollment tokens and revocations are made
// with the CLI on the admin's own device. The view shows the commands.
const ADMIN_ROLES = ["admin", "compliance_officer"];

const ROLES = ["nurse", "charge_nurse", "pharmacist", "physician", "unit_clerk", "admin", "compliance_officer"];

function AdminUsers({ session }) {
  const [users, setUsers] = useState([]);
  const [error, setError] = useState("");
  const [form, setForm] = useState({ username: "", display_name: "", role: "nurse", password: "" });
  const [busy, setBusy] = useState(false);
  async function add(e) {
    e.preventDefault();
    setError("");
    setBusy(true);
    try {
      await api.addUser(form);
      setForm({ username: "", display_name: "", role: "nurse", password: "" });
      load();
    } catch (err) {
      setError(err.message);
    }
    setBusy(false);
  }
  const load = () => api.users().then((r) => setUsers(r.users)).catch((e) => setError(e.message));
  useEffect(load, []);
  async function unlock(u) {
    try {
      await api.unlockUser(u.username);
      load();
    } catch (err) {
      setError(err.message);
    }
  }
  return html`<section aria-labelledby="admin-users-title">
    <h3 id="admin-users-title">Users and roles</h3>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <table class="board">
      <thead><tr><th scope="col">User</th><th scope="col">Name</th><th scope="col">Role</th>
        <th scope="col">Account</th><th scope="col">Failed logins</th><th scope="col"></th></tr></thead>
      <tbody>${users.map((u) => html`<tr key=${u.username}>
        <td>${u.username}</td><td>${u.display_name}</td><td>${u.role.replace(/_/g, " ")}</td>
        <td class=${u.state === "active" ? "" : "flag"}>${u.state || ""}</td><td>${u.failures ?? ""}</td>
        <td>${u.state === "locked" && session.role === "admin" &&
          html`<button class="secondary" onClick=${() => unlock(u)}>Unlock ${u.username}</button>`}</td>
      </tr>`)}</tbody>
    </table>
    ${session.role === "admin" && html`<form class="task-form" onSubmit=${add}>
      <h4>Add a user</h4>
      <label>Username<input name="new-username" value=${form.username} required autocomplete="off"
        onInput=${(e) => setForm({ ...form, username: e.target.value })} /></label>
      <label>Full name<input name="new-display-name" value=${form.display_name} required
        onInput=${(e) => setForm({ ...form, display_name: e.target.value })} /></label>
      <label>Role<select name="new-role" value=${form.role} onChange=${(e) => setForm({ ...form, role: e.target.value })}>
        ${ROLES.map((r) => html`<option value=${r}>${r.replace(/_/g, " ")}</option>`)}</select></label>
      <label>First password<input name="new-password" type="password" value=${form.password} required
        autocomplete="new-password" onInput=${(e) => setForm({ ...form, password: e.target.value })} /></label>
      <button type="submit" disabled=${busy}>${busy ? "Adding…" : "Add user"}</button>
    </form>`}
    <p class="hint">Password resets: <code>wardline user reset-password</code> on the admin's
      device (see the README), because the admin's space keys are sealed again to the new keys.</p>
  </section>`;
}

function AdminWards({ session }) {
  const [spaces, setSpaces] = useState([]);
  const [members, setMembers] = useState({});
  const [users, setUsers] = useState([]);
  const [pick, setPick] = useState({});
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  async function load() {
    try {
      const s = (await api.adminSpaces()).spaces;
      setSpaces(s);
      const m = {};
      for (const x of s) m[x.id] = x.members;
      setMembers(m);
      setUsers((await api.users()).users);
    } catch (err) {
      setError(err.message);
    }
  }
  useEffect(() => { load(); }, []);
  async function change(space, body) {
    setError("");
    try {
      await api.changeMembers({ space, ...body });
      await load();
    } catch (err) {
      setError(err.message);
    }
  }
  async function create(e) {
    e.preventDefault();
    setError("");
    try {
      await api.createSpace({ kind: "ward", name, members: [] });
      setName("");
      await load();
    } catch (err) {
      setError(err.message);
    }
  }
  return html`<section aria-labelledby="admin-wards-title">
    <h3 id="admin-wards-title">Wards and mailboxes</h3>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${spaces.map((s) => html`<article key=${s.id} class="ward-admin">
      <h4>${s.name} <span class="muted">(${s.kind.replace(/_/g, " ")})</span></h4>
      <ul>${(members[s.id] || []).map((m) => html`<li key=${m.user}>${m.display_name}
        (${m.role.replace(/_/g, " ")})
        <button class="secondary" aria-label=${`Remove ${m.user} from ${s.name}`}
          onClick=${() => change(s.id, { remove: m.user })}>Remove</button></li>`)}</ul>
      <label>Add a member to ${s.name}
        <select value=${pick[s.id] || ""} onChange=${(e) => setPick({ ...pick, [s.id]: e.target.value })}>
          <option value="">Choose…</option>
          ${users.filter((u) => !(members[s.id] || []).some((m) => m.user === u.username))
            .map((u) => html`<option value=${u.username}>${u.display_name} (${u.role.replace(/_/g, " ")})</option>`)}
        </select></label>
      <button disabled=${!pick[s.id]} onClick=${() => change(s.id, { add: pick[s.id] })}>Add to ${s.name}</button>
    </article>`)}
    ${session.role === "admin" && html`<form class="task-form" onSubmit=${create}>
      <label>New ward<input name="ward" value=${name} required onInput=${(e) => setName(e.target.value)} /></label>
      <button type="submit">Create ward</button></form>`}
  </section>`;
}

function AdminDevices({ info }) {
  if (!info) return html`<p>Loading the devices…</p>`;
  return html`<section aria-labelledby="admin-devices-title">
    <h3 id="admin-devices-title">Devices</h3>
    <table class="board">
      <thead><tr><th scope="col">Device</th><th scope="col">Node id</th><th scope="col">State</th>
        <th scope="col">Last synced</th></tr></thead>
      <tbody>
        <tr><td>${info.name} (this device)</td><td><code class="node-id">${info.node}</code></td><td>Running</td><td>–</td></tr>
        ${info.devices.map((d) => html`<tr key=${d.node}><td>${d.name || "unnamed"}</td>
          <td><code class="node-id">${d.node}</code></td><td>${d.linked ? "Linked" : "Not reachable"}</td>
          <td>${ago(d.last_sync_ms)}</td></tr>`)}
      </tbody>
    </table>
    <p class="hint">To enroll a new device, read the node key on its enrollment page, run${" "}
      <code>wardline enroll-token --site-dir SITE --node-key KEY --name NAME</code> on the admin's
      device, and paste the token on that page (or run <code>wardline enroll</code> on the device
      with the site key at hand). To revoke a lost or stolen device, run on the admin's device${" "}
      <code>wardline revoke --site-dir SITE --as YOUR_NAME NODE_ID</code>: every node then refuses it,
      and the spaces you belong to get new keys. Then reset the passwords of the people who used it.</p>
  </section>`;
}

const POLICY_LABELS = { message: "Messages", entity_update: "Records, handoffs and tasks",
  receipt: "Receipts", audit: "Audit records" };

function AdminPolicy() {
  const [policy, setPolicy] = useState(null);
  const [days, setDays] = useState({});
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  const load = () => api.policy().then((p) => { setPolicy(p); setDays(p.days); }).catch((e) => setError(e.message));
  useEffect(load, []);
  if (!policy) return html`<p>Loading the policy…</p>`;
  async function save(e) {
    e.preventDefault();
    setError("");
    setNote("");
    try {
      const out = {};
      for (const k of Object.keys(days)) out[k] = Number(days[k]);
      await api.setPolicy(out);
      setNote("Policy saved; every node applies it.");
      load();
    } catch (err) {
      setError(err.message);
    }
  }
  return html`<section aria-labelledby="admin-policy-title">
    <h3 id="admin-policy-title">Retention policy</h3>
    <p class="hint">Days to keep each kind of record; 0 keeps it for ever. Audit records are kept at
      least ${policy.audit_min_days} days. Legal holds: ${policy.holds.length ? policy.holds.join(", ") : "none"}.</p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${note && html`<p class="ack" role="status">${note}</p>`}
    <form class="task-form" onSubmit=${save}>
      ${Object.keys(POLICY_LABELS).map((k) => html`<label key=${k}>${POLICY_LABELS[k]} (days)
        <input type="number" min="0" name=${k} value=${days[k] ?? 0}
          onInput=${(e) => setDays({ ...days, [k]: e.target.value })} /></label>`)}
      <button type="submit">Save policy</button>
    </form>
  </section>`;
}

const AUDIT_PAGE = 100;

function AdminAudit({ session }) {
  const [filter, setFilter] = useState({ from: "", to: "", user: "", patient: "", action: "" });
  const [rows, setRows] = useState(null);
  const [shown, setShown] = useState(AUDIT_PAGE);
  const [error, setError] = useState("");
  const query = () => {
    const q = new URLSearchParams();
    if (filter.from) q.set("from", String(new Date(filter.from).getTime()));
    if (filter.to) q.set("to", String(new Date(filter.to).getTime() + 86400000));
    for (const k of ["user", "patient", "action"]) if (filter[k]) q.set(k, filter[k]);
    return q.toString();
  };
  async function search(e) {
    if (e) e.preventDefault();
    setError("");
    try {
      setRows(await api.audit(query()));
      setShown(AUDIT_PAGE);
    } catch (err) {
      setError(err.message);
    }
  }
  useEffect(() => { search(); }, []);
  const field = (k, label, type = "text") => html`<label>${label}
    <input type=${type} name=${"audit-" + k} value=${filter[k]}
      onInput=${(e) => setFilter({ ...filter, [k]: e.target.value })} /></label>`;
  return html`<section aria-labelledby="admin-audit-title">
    <h3 id="admin-audit-title">Audit log</h3>
    <form class="task-form" onSubmit=${search}>
      ${field("from", "From", "date")} ${field("to", "To", "date")}
      ${field("user", "User")} ${field("patient", "Patient id")} ${field("action", "Action")}
      <button type="submit">Show records</button>
      ${session.role === "compliance_officer" &&
        html`<a class="button secondary" href=${"/api/audit?" + [query(), "format=csv"].filter(Boolean).join("&")}
          download="wardline-audit.csv">Export CSV</a>`}
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${rows && html`<p role="status">${rows.records.length} records${rows.truncated ? " (the newest 500; narrow the filters)" : ""}.</p>`}
    ${rows && html`<div class="scroll"><table class="board audit">
      <thead><tr><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Outcome</th>
        <th scope="col">User</th><th scope="col">Space</th><th scope="col">Patient</th><th scope="col">Detail</th></tr></thead>
      <tbody>${rows.records.slice(0, shown).map((r, i) => html`<tr key=${i}>
        <td>${new Date(r.time_ms).toLocaleString()}</td><td>${r.action}${r.emergency ? " (emergency)" : ""}</td>
        <td>${r.outcome}</td><td>${r.username}</td><td>${r.space}</td><td>${r.patient}</td><td>${r.detail}</td>
      </tr>`)}</tbody></table></div>`}
    ${rows && rows.records.length > shown && html`<button class="secondary"
      onClick=${() => setShown(shown + AUDIT_PAGE)}>Show ${Math.min(AUDIT_PAGE, rows.records.length - shown)} more</button>`}
  </section>`;
}

function Admin({ session, devices }) {
  const [part, setPart] = useState(session.role === "admin" ? "users" : "audit");
  const parts = session.role === "admin"
    ? { users: "Users", wards: "Wards", devices: "Devices", policy: "Retention", audit: "Audit log" }
    : { audit: "Audit log" };
  return html`<section class="card admin" aria-labelledby="admin-title">
    <h2 id="admin-title">Administration</h2>
    <nav class="tabs" aria-label="Administration">
      ${Object.keys(parts).map((k) => html`<button key=${k} class=${part === k ? "active" : ""}
        onClick=${() => setPart(k)}>${parts[k]}</button>`)}
    </nav>
    ${part === "users" && html`<${AdminUsers} session=${session} />`}
    ${part === "wards" && html`<${AdminWards} session=${session} />`}
    ${part === "devices" && html`<${AdminDevices} info=${devices} />`}
    ${part === "policy" && html`<${AdminPolicy} />`}
    ${part === "audit" && html`<${AdminAudit} session=${session} />`}
  </section>`;
}

// Start a direct conversation: the people are fixed once it exists, and
// only they hold its key.
function NewConversation({ session, onCreated }) {
  const [users, setUsers] = useState([]);
  const [picked, setPicked] = useState({});
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    api.users().then((r) => setUsers(r.users.filter((u) => u.username !== session.user)))
      .catch((e) => setError(e.message));
  }, []);
  async function create(e) {
    e.preventDefault();
    setError("");
    try {
      const members = Object.keys(picked).filter((k) => picked[k]);
      const r = await api.createSpace(name ? { kind: "direct", name, members } : { kind: "direct", members });
      onCreated(r.id);
    } catch (err) {
      setError(err.message);
    }
  }
  return html`<section class="card" aria-labelledby="direct-title">
    <h2 id="direct-title">New conversation</h2>
    <form onSubmit=${create}>
      <fieldset><legend>With</legend>
        ${users.map((u) => html`<label class="check" key=${u.username}><input type="checkbox"
          checked=${!!picked[u.username]} onChange=${(e) => setPicked({ ...picked, [u.username]: e.target.checked })} />
          ${u.display_name} (${u.role.replace(/_/g, " ")})</label>`)}
      </fieldset>
      <label>Name (optional)<input name="conversation-name" value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" disabled=${!Object.values(picked).some(Boolean)}>Start conversation</button>
    </form>
  </section>`;
}

function Workspace({ session, onLocked, onEnded }) {
  const [spaces, setSpaces] = useState([]);
  const [current, setCurrent] = useState(null);
  const [ward, setWard] = useState(null);
  const [patient, setPatient] = useState(null);
  const [tab, setTab] = useState("board");
  const [error, setError] = useState("");

  function handle(err) {
    if (err instanceof ApiError && err.status === 423) onLocked();
    else if (err instanceof ApiError && err.status === 401) onEnded("");
    else setError(err.message);
  }

  function loadSpaces(select) {
    return api.spaces().then((r) => {
      // The audit space is read in the Admin view, not as a conversation.
      const shown = r.spaces.filter((s) => s.kind !== "audit");
      setSpaces(shown);
      const first = shown.find((s) => s.id === select) ||
        shown.find((s) => s.kind === "ward") || shown[0];
      setCurrent(first || null);
      // The first view fits the first space: a ward's board, a mailbox's
      // requests, a conversation; an admin without one starts in Admin.
      if (!first) setTab(ADMIN_ROLES.includes(session.role) ? "admin" : "devices");
      else if (select || first.kind === "direct") setTab("messages");
      else if (first.kind === "role_mailbox") setTab("pharmacy");
      else setTab("board");
    }).catch(handle);
  }
  useEffect(() => { loadSpaces(); }, []);
  const [version, setVersion] = useState(0);
  const [devices, setDevices] = useState(null);
  useEffect(() => {
    const load = () => api.devices().then(setDevices).catch(() => {});
    load();
    const timer = setInterval(load, 10000);
    return () => clearInterval(timer);
  }, [version]);
  // Each change starts a new fetch of the ward; a response that arrives
  // after a newer one must not put older data back on screen.
  const wardRequest = useRef(0);
  useEffect(() => {
    const mine = ++wardRequest.current;
    if (current && current.kind === "ward") api.ward(current.id).then((w) => {
      if (mine !== wardRequest.current) return;
      setWard(w);
      // The patient open now, not when this request started: a late
      // response must not reopen a record the nurse closed.
      setPatient((open) => open && (w.patients.find((p) => p.id === open.id) || null));
    }).catch(handle);
  }, [current, version]);
  // Live updates: the node sends "changed" on a WebSocket whenever its
  // data moved (here or from a peer), and the page fetches again.
  useEffect(() => {
    let socket = null;
    let retry = null;
    let closed = false;
    function open() {
      socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`, "wardline-ui");
      socket.onmessage = () => setVersion((v) => v + 1);
      socket.onclose = () => { if (!closed) retry = setTimeout(open, 2000); };
    }
    open();
    return () => { closed = true; clearTimeout(retry); if (socket) socket.close(); };
  }, []);
  const tasksOf = (p) => (ward ? ward.entities.filter(
    (e) => e.id.startsWith("task/") && e.fields.patient === p.id) : []);
  const handoffOf = (p) => ward && ward.entities.find(
    (e) => e.id === "handoff/" + p.id.slice("patient/".length));

  return html`
    <nav class="spaces" aria-label="Spaces">
      ${spaces.map((s) => html`<button key=${s.id}
        class=${current && s.id === current.id ? "active" : ""}
        onClick=${() => {
          setCurrent(s);
          setPatient(null);
          if (s.kind === "ward") setTab("board");
          else if (s.kind === "role_mailbox") setTab("pharmacy");
          else setTab("messages");
        }}>${s.kind === "direct" ? "Chat: " : ""}${s.name}${s.emergency ? " (emergency access)" : ""}</button>`)}
      <button class=${"secondary" + (tab === "new-direct" ? " active" : "")}
        onClick=${() => setTab("new-direct")}>New conversation</button>
    </nav>
    ${tab === "new-direct" && html`<${NewConversation} session=${session} onCreated=${(id) => loadSpaces(id)} />`}
    <${OfflineBanner} info=${devices} />
    <${Alerts} session=${session} version=${version} onChanged=${() => setVersion(version + 1)} />
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${ADMIN_ROLES.includes(session.role) && html`<nav class="tabs" aria-label="Administration views">
      <button class=${tab === "admin" ? "active" : ""} onClick=${() => setTab("admin")}>Admin</button></nav>`}
    ${tab === "admin" && html`<${Admin} session=${session} devices=${devices} />`}
    ${!current && tab !== "devices" && tab !== "admin" && tab !== "new-direct" && html`<p class="card">You belong to no space yet. An admin or charge nurse adds you.</p>`}
    ${current && tab !== "admin" && tab !== "new-direct" && html`
      <nav class="tabs" aria-label="Views">
        ${current.kind === "ward" && html`<button class=${tab === "board" ? "active" : ""} onClick=${() => setTab("board")}>Board</button>`}
        ${current.kind === "ward" && html`<button class=${tab === "shift" ? "active" : ""} onClick=${() => setTab("shift")}>Shift handoff</button>`}
        ${current.kind === "role_mailbox" && html`<button class=${tab === "pharmacy" ? "active" : ""} onClick=${() => setTab("pharmacy")}>Requests</button>`}
        <button class=${tab === "messages" ? "active" : ""} onClick=${() => setTab("messages")}>Messages</button>
        <button class=${tab === "devices" ? "active" : ""} onClick=${() => setTab("devices")}>Devices</button>
      </nav>
      ${tab === "devices" && html`<${Devices} info=${devices} />`}
      ${tab === "shift" && current.kind === "ward" && html`<${ShiftHandoff} space=${current} ward=${ward}
        session=${session} onChanged=${() => setVersion(version + 1)} />`}
      ${tab === "pharmacy" && current.kind === "role_mailbox" && html`<${Pharmacy} space=${current}
        session=${session} version=${version} onChanged=${() => setVersion(version + 1)} />`}
      ${tab === "board" && current.kind === "ward" && !patient &&
        html`<${Board} ward=${ward} onOpen=${setPatient} />`}
      ${tab === "board" && patient && html`<${Patient} space=${current} patient=${patient}
        handoff=${handoffOf(patient)} tasks=${tasksOf(patient)} session=${session} live=${version * 1000}
        onBack=${() => setPatient(null)} onChanged=${() => setVersion(version + 1)} />`}
      ${(tab === "messages" || (current.kind === "direct" && tab !== "devices")) && html`<${Messages} space=${current} session=${session} version=${version} />`}`}`;
}

function App() {
  const [session, setSession] = useState(null);
  const [state, setState] = useState("loading"); // loading, login, active, locked
  const [notice, setNotice] = useState("");
  const [needPin, setNeedPin] = useState(false); // offered after each login
  const [left, setLeft] = useState(0);
  const last = useRef(Date.now());

  useEffect(() => {
    api.session().then((s) => {
      setSession(s);
      setState(s.state === "locked" ? "locked" : "active");
    }).catch(() => setState("login"));
  }, []);

  // Idle countdown: activity on the page restarts it and, at most every
  // 30 s, sends a request to the node, whose own timer decides the lock.
  useEffect(() => {
    if (state !== "active" || !session) return undefined;
    last.current = Date.now();
    setLeft(session.idle_ms);
    let told = Date.now();
    const activity = () => {
      last.current = Date.now();
      if (Date.now() - told > 30000) {
        told = Date.now();
        api.session().catch(() => {});
      }
    };
    const tick = setInterval(() => {
      const remaining = session.idle_ms - (Date.now() - last.current);
      setLeft(Math.max(0, remaining));
      if (remaining <= 0) {
        api.lock().catch(() => {});
        setState("locked");
      }
    }, 1000);
    for (const ev of ["pointerdown", "keydown"]) addEventListener(ev, activity);
    return () => {
      clearInterval(tick);
      for (const ev of ["pointerdown", "keydown"]) removeEventListener(ev, activity);
    };
  }, [state, session]);

  function ended(message) {
    api.logout().catch(() => {});
    setSession(null);
    setNotice(message);
    setState("login");
  }

  if (state === "loading") return html`<p class="loading">Loading Wardline…</p>`;
  if (state === "login")
    return html`${notice && html`<p class="notice" role="status">${notice}</p>`}
      <${Login} onDone=${(s) => { setSession(s); setNotice(""); setNeedPin(true); setState("active"); }} />`;
  if (state === "locked")
    return html`<${Locked} session=${session} onUnlocked=${() => setState("active")} onEnded=${ended} />`;

  return html`
    <header class="top">
      <span class="brand">Wardline</span>
      <span class="who">${session.display_name} (${session.role.replace(/_/g, " ")})</span>
      ${state === "active" && html`<${Countdown} ms=${left} />`}
      <button class="secondary" onClick=${() => {
        api.lock().catch(() => {});
        setState("locked");
      }}>Lock</button>
      <button class="secondary" onClick=${() => ended("")}>Log out</button>
    </header>
    ${needPin && html`<${PinSetup} onDone=${() => setNeedPin(false)} />`}
    ${state === "active" && html`<${Workspace} session=${session}
      onLocked=${() => setState("locked")} onEnded=${ended} />`}`;
}

render(html`<${App} />`, document.getElementById("app"));
