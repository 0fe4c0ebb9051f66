// The team page: upload with progress, submission history with live status.
"use strict";
(() => {
  const text = window.HJ_TEXT;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.querySelector("#history tbody");
  const rows = new Map();

  function upsert(sub) {
    let tr = rows.get(sub.id);
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.id = sub.id;
      rows.set(sub.id, tr);
      body.prepend(tr);
    }
    const merged = Object.assign(JSON.parse(tr.dataset.sub || "{}"), sub);
    tr.dataset.sub = JSON.stringify(merged);
    tr.className = "status-" + merged.status;
    tr.replaceChildren(HJ.cell(merged.id), HJ.cell(merged.task), HJ.cell(merged.filename || ""),
      HJ.cell(HJ.time(merged.created_at)), HJ.cell(text[merged.status] || merged.status),
      HJ.cell(HJ.score(merged.public_score)), HJ.cell(merged.error || ""));
    document.getElementById("history-empty").hidden = rows.size > 0;
  }

  JSON.parse(document.getElementById("history-data").textContent).reverse().forEach(upsert);
  document.getElementById("history-empty").hidden = rows.size > 0;

  const form = document.getElementById("upload");
  const drop = document.getElementById("drop");
  const input = form.querySelector('input[type="file"]');
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    if (e.dataTransfer.files.length) input.files = e.dataTransfer.files;
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
    xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) progress.value = (100 * ev.loaded) / ev.total; };
    xhr.onload = () => {
      button.disabled = false; progress.hidden = true;
      let reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      if (xhr.status === 202) { message.textContent = text.accepted; message.className = "ok"; upsert(reply); form.reset(); }
      else { message.textContent = (reply.error && reply.error.message) || xhr.statusText; message.className = "error"; }
    };
    xhr.onerror = () => { button.disabled = false; progress.hidden = true; message.textContent = text.network; message.className = "error"; };
    button.disabled = true; progress.hidden = false; progress.value = 0; message.textContent = text.uploading; message.className = "";
    xhr.send(data);
  });

  const socket = HJ.live((sock) => sock.emit("subscribe", { event: window.HJ_EVENT }));
  socket.on("submission", upsert);
})();
