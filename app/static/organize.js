// The organizer page: start a rescore, follow its progress live.
"use strict";
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const rows = new Map([...document.querySelectorAll("#tasks tbody tr")].map((tr) => [tr.dataset.task, tr]));
  // A status as the page's language says it.
  const said = (status) => window.HJ_TEXT.status[status] || status;

  function show(task, run) {
    const tr = rows.get(task);
    if (!tr) return;
    const bar = tr.querySelector("progress");
    bar.max = Math.max(run.total, 1);
    bar.value = run.done;
    tr.querySelector(".rescore-status").textContent =
      `${said(run.status)} ${run.done}/${run.total}` + (run.changed ? ` · ${window.HJ_TEXT.changed} ${run.changed}` : "");
    tr.querySelector("button.rescore").disabled = run.status === "queued" || run.status === "running";
  }

  rows.forEach((tr, task) => {
    tr.querySelector("button.rescore").addEventListener("click", async () => {
      tr.querySelector("button.rescore").disabled = true;
      const reply = await fetch(`/api/v1/events/${encodeURIComponent(window.HJ_EVENT)}/tasks/${encodeURIComponent(task)}/rescore`,
        { method: "POST", headers: { "X-CSRFToken": csrf } });
      const body = await reply.json();
      if (reply.status === 202) show(task, body);
      else tr.querySelector(".rescore-status").textContent = body.error.message;
    });
  });

  const form = document.getElementById("announce");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = document.getElementById("announce-text");
    const button = form.querySelector("button");
    button.disabled = true; // a double click announces once
    try {
      const reply = await fetch(`/api/v1/events/${encodeURIComponent(window.HJ_EVENT)}/announcements`, {
        method: "POST", headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
        body: JSON.stringify({ message: input.value }),
      });
      const body = await reply.json();
      document.getElementById("announce-status").textContent = reply.ok ? window.HJ_TEXT.announced : body.error.message;
      if (reply.ok) input.value = "";
    } finally {
      button.disabled = false;
    }
  });

  // The dashboard: refreshed every few seconds while the page is open.
  let chart = null;
  // A full or nearly full submission storage: an alert at the top of the dashboard (the
  // server words it in the page's language), gone once there is room again.
  function showStorage(storage) {
    let alert = document.getElementById("storage-alert");
    if (!alert) {
      alert = document.createElement("p");
      alert.id = "storage-alert";
      alert.className = "flash error";
      alert.setAttribute("role", "alert");
      document.querySelector("#dashboard h2").after(alert);
    }
    alert.textContent = (storage && storage.message) || "";
    alert.hidden = !alert.textContent;
  }
  async function refresh() {
    const reply = await fetch(`/api/v1/events/${encodeURIComponent(window.HJ_EVENT)}/dashboard`);
    if (!reply.ok) return;
    const d = await reply.json();
    showStorage(d.storage);
    document.getElementById("workers").textContent = d.workers_alive;
    document.getElementById("queue").textContent = d.queue_depth;
    document.getElementById("code-queue-box").hidden = d.code_queue_depth === null || d.code_queue_depth === undefined;
    document.getElementById("code-queue").textContent = d.code_queue_depth ?? "–";
    const refused = document.getElementById("sandbox-refused");
    refused.textContent = d.sandbox_refused ? refused.dataset.said.replace("{reason}", d.sandbox_refused) : "";
    refused.hidden = !d.sandbox_refused;
    document.getElementById("by-status").textContent = Object.entries(d.by_status).map(([k, v]) => `${said(k)} ${v}`).join(" · ");
    const datasets = d.per_minute.map((t, i) => ({ label: t.task, data: t.counts, backgroundColor: ["#2563eb", "#dc2626", "#16a34a", "#9333ea"][i % 4] }));
    const labels = (d.per_minute[0] || { minutes: [] }).minutes.map((m) => HJ.clock(Date.parse(m)));
    if (!chart) {
      chart = new Chart(document.getElementById("per-minute"), {
        type: "bar", data: { labels, datasets },
        options: { maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
      });
    } else { chart.data.labels = labels; chart.data.datasets = datasets; chart.update(); }
    const trouble = [...d.stuck, ...d.failed];
    document.getElementById("trouble-empty").hidden = trouble.length > 0;
    document.querySelector("#trouble tbody").replaceChildren(...trouble.map((s) => {
      const tr = document.createElement("tr");
      tr.dataset.id = s.id;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = window.HJ_TEXT.rejudge;
      button.addEventListener("click", async () => {
        button.disabled = true;
        await fetch(`/api/v1/submissions/${s.id}/rejudge`, { method: "POST", headers: { "X-CSRFToken": csrf } });
        refresh();
      });
      const action = document.createElement("td");
      action.append(button);
      tr.append(HJ.cell(`#${s.id}`), HJ.cell(s.task), HJ.cell(s.team), HJ.cell(said(s.status)),
        HJ.cell(s.staff_error || s.error || ""), action);
      return tr;
    }));
  }
  refresh();
  setInterval(refresh, 5000);

  // Whether the public board is frozen, from its pushes (the clock pushes a freeze or its end,
  // whether it came from this page, the command line or the schedule): the notice at the top,
  // the Event card's badge and the "Lift the freeze" button follow without a reload. Each
  // task's public board says it; a task whose private board is revealed is no longer frozen.
  const publicBoards = new Map(); // task -> its latest public push
  const notice = document.getElementById("frozen-notice");
  function showFreeze(data) {
    if (data.board !== "public") return; // the staff boards are never frozen
    const held = publicBoards.get(data.task);
    if (held && data.version < held.version) return; // an older push arriving late
    publicBoards.set(data.task, data);
    const frozenBoard = [...publicBoards.values()].find((b) => b.frozen);
    const frozen = frozenBoard !== undefined;
    // Unchanged (the catch-up on connect, a new score): the server's wording of the moment stays.
    if (frozen === !notice.hidden) return;
    const since = frozen ? window.HJ_TEXT.frozen_since.replace("{moment}", HJ.time(frozenBoard.freeze_at)) : "";
    notice.hidden = !frozen;
    document.querySelectorAll("#frozen-notice .since, #freeze-state .since").forEach((el) => { el.textContent = since; });
    const badge = document.getElementById("freeze-badge");
    badge.textContent = frozen ? window.HJ_TEXT.frozen : window.HJ_TEXT.not_frozen;
    badge.classList.toggle("frozen", frozen);
    document.getElementById("unfreeze").disabled = !frozen;
  }

  const socket = HJ.live((sock) => sock.emit("subscribe", { event: window.HJ_EVENT }));
  socket.on("rescore", (run) => show(run.task, run));
  socket.on("leaderboard", showFreeze);
})();
