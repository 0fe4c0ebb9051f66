// The organizer page: start a rescore, follow its progress live.
"use strict";
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const rows = new Map([...document.querySelectorAll("#tasks tbody tr")].map((tr) => [tr.dataset.task, tr]));

  function show(task, run) {
    const tr = rows.get(task);
    if (!tr) return;
    const bar = tr.querySelector("progress");
    bar.max = Math.max(run.total, 1);
    bar.value = run.done;
    tr.querySelector(".rescore-status").textContent =
      `${run.status} ${run.done}/${run.total}` + (run.changed ? ` · ${window.HJ_TEXT.changed} ${run.changed}` : "");
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

  const socket = HJ.live((sock) => sock.emit("subscribe", { event: window.HJ_EVENT }));
  socket.on("rescore", (run) => show(run.task, run));
})();
