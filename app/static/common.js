// Shared helpers of the board and team pages.
"use strict";
// The page's data: JSON blocks the server renders (the Content Security Policy runs no inline
// script), copied onto window (HJ_* keys only) before any page script reads them.
for (const block of document.querySelectorAll('script[type="application/json"][data-hj-globals]')) {
  for (const [key, value] of Object.entries(JSON.parse(block.textContent))) {
    if (key.startsWith("HJ_")) window[key] = value;
  }
}
window.HJ = {
  time(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(window.HJ_LOCALE === "en" ? "en-GB" : "ko-KR", {
      timeZone: window.HJ_TZ || "Asia/Seoul", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
  },
  clock(ms, seconds = false) {
    return new Date(ms).toLocaleTimeString(window.HJ_LOCALE === "en" ? "en-GB" : "ko-KR", {
      timeZone: window.HJ_TZ || "Asia/Seoul", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      ...(seconds ? { second: "2-digit" } : {}),
    });
  },
  score(value, decimals) {
    return value === null || value === undefined ? "" : Number(value).toFixed(decimals ?? 5);
  },
  // A countdown: "2일 03:04:05" / "2d 03:04:05"; ``days`` is the page's "{d}일" or "{d}d".
  span(seconds, days) {
    const s = Math.max(0, Math.floor(seconds));
    const pad = (n) => String(n).padStart(2, "0");
    const clock = `${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
    const d = Math.floor(s / 86400);
    return d ? `${days.replace("{d}", d)} ${clock}` : clock;
  },
  cell(text) { const td = document.createElement("td"); td.textContent = text; return td; },
  // A cell saying how long ago ("3분 전"), the exact time on hover; HJ.refreshAgo keeps it true.
  ago(iso) {
    const td = document.createElement("td");
    if (!iso) return td;
    td.dataset.at = iso;
    td.title = HJ.time(iso);
    td.textContent = HJ.relative(iso);
    return td;
  },
  relative(iso) {
    const seconds = (Date.parse(iso) - Date.now()) / 1000;
    const format = new Intl.RelativeTimeFormat(window.HJ_LOCALE === "en" ? "en" : "ko", { numeric: "auto" });
    const steps = [[60, "second"], [3600, "minute"], [86400, "hour"], [Infinity, "day"]];
    const size = { second: 1, minute: 60, hour: 3600, day: 86400 };
    const [, unit] = steps.find(([limit]) => Math.abs(seconds) < limit);
    if (unit === "second" && Math.abs(seconds) < 10) return format.format(0, "second");
    return format.format(Math.round(seconds / size[unit]), unit);
  },
  refreshAgo() {
    document.querySelectorAll("td[data-at]").forEach((td) => { td.textContent = HJ.relative(td.dataset.at); });
  },
  live(onConnect) {
    const socket = io("/live", { transports: ["websocket", "polling"] });
    const badge = document.getElementById("live-status");
    socket.on("connect", () => { if (badge) { badge.textContent = badge.dataset.live; badge.className = "badge live"; } onConnect(socket); });
    socket.on("disconnect", () => { if (badge) { badge.textContent = badge.dataset.offline; badge.className = "badge"; } });
    // Organizers' announcements reach every live page as a banner.
    socket.on("announcement", (item) => {
      let banner = document.getElementById("announcement");
      if (!banner) {
        banner = document.createElement("p");
        banner.id = "announcement";
        banner.className = "announcement";
        banner.setAttribute("role", "status");
        document.querySelector("main").prepend(banner);
      }
      banner.textContent = `📢 ${item.message}`;
    });
    return socket;
  },
};
