// The team page: upload with progress, submission history with live status.
"use strict";
(() => {
  const text = window.HJ_TEXT;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.querySelector("#history tbody");
  const rows = new Map();

  const quotas = JSON.parse(document.getElementById("quota-data").textContent);

  // Final picks (SPEC §3 rule 2): a toggle per scored row, the count per task beside its quota.
  function pickButton(sub) {
    const td = document.createElement("td");
    if (sub.status !== "scored" || text.closed) { td.textContent = sub.final ? text.picked : ""; codeControl(td, sub); return td; }
    const button = document.createElement("button");
    button.type = "button";
    button.className = sub.final ? "pick on" : "pick";
    button.setAttribute("aria-pressed", sub.final ? "true" : "false");
    button.textContent = sub.final ? text.picked : text.pick;
    button.addEventListener("click", async () => {
      button.disabled = true;
      const reply = await fetch(`/api/v1/submissions/${sub.id}/final`, {
        method: sub.final ? "DELETE" : "POST", headers: { "X-CSRFToken": csrf },
      });
      const data = await reply.json();
      button.disabled = false;
      const message = document.getElementById("upload-message");
      if (reply.ok) { upsert(data); message.textContent = ""; }
      else { message.textContent = data.error.message; message.className = "error"; }
    });
    td.append(button);
    codeControl(td, sub);
    return td;
  }

  // Winners' code verification: a final pick of a predictions task carries the code that made
  // it, attached until the code deadline (the end + 24 h unless the organizers say otherwise).
  function codeControl(td, sub) {
    const q = quotas[sub.task] || {};
    if (!sub.final || q.code) return;
    const line = document.createElement("small");
    line.className = "code muted";
    line.textContent = sub.code ? text.code_attached.replace("{file}", sub.code.filename) : text.code_none;
    td.append(document.createElement("br"), line);
    if (Date.now() >= Date.parse(window.HJ_CODE_DEADLINE)) return;
    const chooser = document.createElement("input");
    chooser.type = "file";
    chooser.accept = ".py,.zip,.ipynb";
    chooser.hidden = true;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link attach-code";
    button.textContent = sub.code ? text.code_replace : text.code_attach;
    button.addEventListener("click", () => chooser.click());
    chooser.addEventListener("change", async () => {
      if (!chooser.files.length) return;
      const data = new FormData();
      data.append("file", chooser.files[0]);
      button.disabled = true;
      const reply = await fetch(`/api/v1/submissions/${encodeURIComponent(sub.id)}/code`, { method: "POST", body: data, headers: { "X-CSRFToken": csrf } });
      const body = await reply.json().catch(() => ({}));
      button.disabled = false;
      const message = document.getElementById("upload-message");
      if (reply.ok) { upsert({ ...sub, code: { filename: body.filename, attached_at: body.attached_at } }); message.textContent = text.code_done; message.className = "ok"; }
      else { message.textContent = (body.error && body.error.message) || reply.statusText; message.className = "error"; }
    });
    td.append(" ", button, chooser);
  }

  // Quota left today, kept live: an upload from this page takes one, unless it ends invalid or
  // failed (SPEC §3 rule 3). Decided from the row's merged state, so the upload's reply and
  // the live push may come in either order.
  const mine = new Set();
  const counted = new Set();
  function showQuota(task) {
    const q = quotas[task];
    const li = document.querySelector(`#quotas li[data-task="${CSS.escape(task)}"] .left`);
    if (q && li && q.left !== null) li.textContent = q.left;
  }
  function trackQuota(sub) {
    const q = quotas[sub.task];
    if (!q || q.left === null || !mine.has(sub.id)) return;
    // A code task's run counts whatever became of it (it read the hidden inputs).
    const counts = sub.status !== "failed" && (q.code || sub.status !== "invalid");
    if (counts && !counted.has(sub.id)) { counted.add(sub.id); q.left = Math.max(0, q.left - 1); }
    if (!counts && counted.has(sub.id)) { counted.delete(sub.id); q.left += 1; }
    showQuota(sub.task);
  }

  // The picks per task: the count beside the quota, and which ones in the summary card.
  function countPicks() {
    const picks = {};
    rows.forEach((tr) => { const s = JSON.parse(tr.dataset.sub); if (s.final) (picks[s.task] ||= []).push(s); });
    document.querySelectorAll("#quotas li").forEach((li) => { li.querySelector(".picks").textContent = (picks[li.dataset.task] || []).length; });
    document.querySelectorAll("#picks-summary li").forEach((li) => {
      const chosen = (picks[li.dataset.task] || []).sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
      const q = quotas[li.dataset.task] || {};
      li.querySelector(".chosen").textContent = chosen.length
        ? `${chosen.map((s) => `#${s.number ?? ""} (${HJ.score(s.public_score, q.decimals)})`).join(", ")} · `
          + text.picks_of.replace("{picked}", chosen.length).replace("{limit}", q.final_picks ?? "")
        : "";
      li.querySelector(".none").hidden = chosen.length > 0;
    });
  }

  // A result landing while the page is open: a toast in the page's language.
  function toast(sub) {
    const box = document.createElement("div");
    const bad = sub.status !== "scored";
    box.className = bad ? "toast error" : "toast ok";
    box.textContent = bad
      ? text.landed_bad.replace("{number}", sub.number ?? "").replace("{error}", sub.error || text[sub.status] || sub.status)
      : text.landed.replace("{number}", sub.number ?? "").replace("{score}", HJ.score(sub.public_score, (quotas[sub.task] || {}).decimals));
    const close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.textContent = "×";
    close.setAttribute("aria-label", text.dismiss);
    close.addEventListener("click", () => box.remove());
    box.append(" ", close);
    document.getElementById("toasts").append(box);
    setTimeout(() => box.remove(), 10000);
  }

  // The team's public scores over time, one line per task.
  let chart = null;
  function drawChart() {
    const byTask = {};
    rows.forEach((tr) => {
      const s = JSON.parse(tr.dataset.sub);
      if (s.status === "scored" && s.public_score !== null) (byTask[s.task] ||= []).push({ x: Date.parse(s.created_at), y: s.public_score });
    });
    const palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"];
    // One point (or all at one moment) gives the axis no span: an hour either side of it.
    const xs = Object.values(byTask).flat().map((p) => p.x);
    const narrow = xs.length && Math.max(...xs) - Math.min(...xs) < 60e3;
    const bounds = narrow ? { min: Math.min(...xs) - 3600e3, max: Math.max(...xs) + 3600e3 } : { min: undefined, max: undefined };
    const datasets = Object.entries(byTask).map(([task, points], i) => ({
      label: (quotas[task] || {}).title || task, data: points.sort((a, b) => a.x - b.x),
      borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], pointRadius: 4,
    }));
    // Nothing scored yet: say so rather than draw empty axes.
    document.getElementById("chart-empty").hidden = datasets.length > 0;
    document.querySelector(".chart-box").hidden = datasets.length === 0;
    if (!window.Chart || datasets.length === 0) return;
    if (!chart) {
      chart = new Chart(document.getElementById("team-chart"), {
        type: "line", data: { datasets },
        options: { parsing: false, maintainAspectRatio: false, animation: { duration: 300 },
          scales: { x: { type: "linear", ...bounds, ticks: { maxTicksLimit: 8, callback: (v) => HJ.clock(v) } } } },
      });
    } else { chart.data.datasets = datasets; Object.assign(chart.options.scales.x, bounds); chart.update(); }
  }

  // The file name, and the team's note under it.
  function fileCell(sub) {
    const td = HJ.cell(sub.filename || "");
    if (sub.note) {
      const note = document.createElement("small");
      note.className = "note";
      note.textContent = sub.note;
      td.append(document.createElement("br"), note);
    }
    return td;
  }

  // A program's run: how it ended, its time and memory (never its output: that stays with
  // the staff, as a program can print the hidden inputs).
  function runLine(run) {
    if (!run || run.elapsed_s === null || run.elapsed_s === undefined) return "";
    const code = run.exit_code ?? (run.signal ? `SIG${run.signal}` : "–");
    const mb = run.peak_memory_bytes ? Math.round(run.peak_memory_bytes / 1048576) : "–";
    return text.run.replace("{code}", code).replace("{seconds}", run.elapsed_s.toFixed(1)).replace("{mb}", mb);
  }
  function messageCell(sub) {
    const td = HJ.cell(sub.error || "");
    const line = runLine(sub.run);
    if (line) {
      const small = document.createElement("small");
      small.className = "run muted";
      small.textContent = line;
      if (sub.error) td.append(document.createElement("br"));
      td.append(small);
    }
    return td;
  }

  // A submission's states in order: a later one never goes back to an earlier one, so the
  // upload's reply (queued) cannot undo a push that came first. Final states may replace each
  // other (a rescore, a final pick).
  const stage = { queued: 0, running: 1, scoring: 1, scored: 2, invalid: 2, failed: 2 };
  const earlier = (sub, row) => (stage[sub.status] ?? 2) < (stage[row.status] ?? 0);

  // A live push carries its message in every language; the page shows its own. Returns the
  // row's merged state.
  const lang = document.documentElement.lang;
  const labels = [...document.querySelectorAll("#history thead th")].map((th) => th.textContent);
  const columns = ["number", "task", "file", "time", "status", "score", "message", "pick"];
  const settled = (status) => status === "scored" || status === "invalid" || status === "failed";
  function upsert(pushed) {
    const { errors, ...sub } = pushed;
    if (errors && errors[lang]) sub.error = errors[lang];
    let tr = rows.get(sub.id);
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.id = sub.id;
      rows.set(sub.id, tr);
      body.prepend(tr);
    }
    const row = JSON.parse(tr.dataset.sub || "{}");
    // An earlier state only fills in what the row lacks (file name, note, time).
    const merged = earlier(sub, row) ? { ...sub, ...row } : Object.assign(row, sub);
    tr.dataset.sub = JSON.stringify(merged);
    tr.className = "status-" + merged.status;
    // "#": the team's own number; the id is opaque (global ids would betray the freeze).
    const cells = [HJ.cell(merged.number ?? ""), HJ.cell((quotas[merged.task] || {}).title || merged.task),
      fileCell(merged), HJ.ago(merged.created_at), HJ.cell(text[merged.status] || merged.status),
      HJ.cell(HJ.score(merged.public_score, (quotas[merged.task] || {}).decimals)), messageCell(merged),
      pickButton(merged)];
    // Each cell names its column: on a phone the row is a card of label–value lines.
    cells.forEach((td, i) => { td.dataset.label = labels[i]; td.classList.add(columns[i]); });
    tr.replaceChildren(...cells);
    document.getElementById("history-empty").hidden = rows.size > 0;
    countPicks();
    drawChart();
    return merged;
  }

  JSON.parse(document.getElementById("history-data").textContent).reverse().forEach(upsert);
  document.getElementById("history-empty").hidden = rows.size > 0;

  const form = document.getElementById("upload");
  const drop = document.getElementById("drop");
  const input = form.querySelector('input[type="file"]');
  // One key per upload attempt: a retry after a network error (the reply lost, the upload
  // perhaps accepted) sends the same key, so the server answers with the first submission
  // instead of making a second. A new file or a definite answer starts a new key.
  let uploadKey = null;
  const newKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0")).join("");
  form.addEventListener("change", () => { uploadKey = null; });  // another file or task

  // Keyboard: Enter or Space on the drop zone opens the file chooser.
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); }
  });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    if (e.dataTransfer.files.length) { input.files = e.dataTransfer.files; uploadKey = null; }
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const message = document.getElementById("upload-message");
    const progress = document.getElementById("progress");
    const button = form.querySelector("button");
    const data = new FormData(form);
    const task = data.get("task");
    data.delete("task");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/events/${encodeURIComponent(window.HJ_EVENT)}/tasks/${encodeURIComponent(task)}/submissions`);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    uploadKey = uploadKey || newKey();
    xhr.setRequestHeader("Idempotency-Key", uploadKey);
    xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) progress.value = (100 * ev.loaded) / ev.total; };
    xhr.onload = () => {
      button.disabled = false; progress.hidden = true;
      let reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      if (xhr.status < 500) uploadKey = null;  // answered: the next upload is a new one
      if (xhr.status === 202) { message.textContent = text.accepted; message.className = "ok"; mine.add(reply.id); trackQuota(upsert(reply)); form.reset(); }
      else { message.textContent = (reply.error && reply.error.message) || xhr.statusText; message.className = "error"; }
    };
    xhr.onerror = () => { button.disabled = false; progress.hidden = true; message.textContent = text.network; message.className = "error"; };
    button.disabled = true; progress.hidden = false; progress.value = 0; message.textContent = text.uploading; message.className = "";
    xhr.send(data);
  });

  // Countdown to the deadline.
  const countdown = document.getElementById("countdown");
  const end = Date.parse(countdown.dataset.end);
  function tick() {
    const left = Math.max(0, Math.floor((end - Date.now()) / 1000));
    countdown.textContent = left ? `${text.ends_in} ${HJ.span(left, text.days)}` : text.ended;
  }
  tick();
  setInterval(tick, 1000);

  // Code tasks: the file chooser and the words follow the chosen task; a dry run runs the
  // program on the public sample inputs and shows its output here, polling until it ends.
  const taskSelect = form.querySelector('select[name="task"]');
  function showKind() {
    const code = Boolean(taskSelect.selectedOptions[0] && taskSelect.selectedOptions[0].dataset.code);
    form.querySelectorAll(".for-code").forEach((el) => { el.hidden = !code; });
    form.querySelectorAll(".for-files").forEach((el) => { el.hidden = code; });
    input.accept = code ? ".py,.zip,.ipynb" : ".csv,.gz,.zip,text/csv";
  }
  taskSelect.addEventListener("change", showKind);
  showKind();
  const dryButton = document.getElementById("dry-run");
  const result = document.getElementById("dry-run-result");
  function showRun(run) {
    const summary = result.querySelector(".summary");
    const line = runLine(run);
    const failed = run.status === "failed" || run.message;
    summary.className = failed ? "summary error" : "summary";
    if (run.status === "queued" || run.status === "running") summary.textContent = text.dry_waiting;
    else summary.textContent = [run.message || (run.status === "failed" ? text.dry_failed : text.dry_ok), line].filter(Boolean).join(" · ");
    result.querySelector(".log").textContent = (run.log || "") + (run.log_truncated ? `\n${text.log_cut}` : "");
    result.hidden = false;
  }
  async function follow(url) {
    for (;;) {
      const reply = await fetch(url, { headers: { Accept: "application/json" } });
      if (!reply.ok) return;
      const run = await reply.json();
      showRun(run);
      if (run.status === "done" || run.status === "failed") return;
      await new Promise((done) => setTimeout(done, 1000));
    }
  }
  dryButton.addEventListener("click", async () => {
    const message = document.getElementById("upload-message");
    if (!input.files.length) { input.reportValidity(); return; }
    const data = new FormData();
    data.append("file", input.files[0]);
    dryButton.disabled = true;
    try {
      const reply = await fetch(`/api/v1/events/${encodeURIComponent(window.HJ_EVENT)}/tasks/${encodeURIComponent(taskSelect.value)}/submissions?dry_run=1`,
        { method: "POST", body: data, headers: { "X-CSRFToken": csrf } });
      const run = await reply.json().catch(() => ({}));
      if (reply.status !== 202) { message.textContent = (run.error && run.error.message) || reply.statusText; message.className = "error"; return; }
      message.textContent = ""; showRun(run);
      await follow(`/api/v1/runs/${encodeURIComponent(run.id)}`);
    } catch (_) {
      message.textContent = text.network; message.className = "error";
    } finally { dryButton.disabled = false; }
  });

  const socket = HJ.live((sock) => sock.emit("subscribe", { event: window.HJ_EVENT }));
  socket.on("submission", async (sub) => {
    const known = rows.get(sub.id);
    const was = known ? JSON.parse(known.dataset.sub).status : null;
    let merged = upsert(sub);
    trackQuota(merged);
    // A program's run (time, memory) comes with the submission itself, not the push.
    if (settled(merged.status) && (quotas[merged.task] || {}).code) {
      const reply = await fetch(`/api/v1/submissions/${encodeURIComponent(merged.id)}`);
      if (reply.ok) merged = upsert(await reply.json());
    }
    if (!settled(was) && settled(merged.status)) toast(merged);
  });
  // "3분 전" stays true while the page is open.
  setInterval(HJ.refreshAgo, 30000);
})();
