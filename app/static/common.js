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
