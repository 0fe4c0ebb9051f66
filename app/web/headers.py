"""Security headers on every answer (issue 12, item 18): no page can be framed (the organizer
console in a hidden frame would take clicks meant for another site), no answer is sniffed into
another type, no address leaks to other sites, and the Content Security Policy runs only the
app's own script files.

The pages keep to the policy: no inline ``<script>`` (page data travels in
``<script type="application/json" data-hj-globals>`` blocks, which browsers never run, read by
``static/common.js``), no ``style=`` attributes or event-handler attributes, nothing from other
origins. ``tests/app/test_security_headers_browser.py`` opens every page type in Chromium and
fails on any violation. A few lines, not Flask-Talisman: its HTTPS redirect and cookie
handling would overlap what ``config`` and ``app.web.auth`` already decide.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # element.style set from a script (the projector's row animation, Chart.js's canvas
        # size) is allowed by this; style attributes written in the markup are not.
        "style-src 'self'",
        "img-src 'self' data:",  # Chart.js draws on a canvas; data: for its exported images
        "font-src 'self'",
        # Socket.IO's websocket: older browsers do not count ws:/wss: of the page's own host
        # as 'self', and behind a proxy the host the server sees is not the browser's.
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP level 2
    "X-Content-Type-Options": "nosniff",
    # The same site gets the full address (the language switch returns to the referring
    # page); other sites get nothing (event and team addresses stay in the hall).
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def allow_frames(response: Response, origins: tuple[str, ...]) -> None:
    """This answer's policy, allowed to frame ``origins`` (a project's embedded video player,
    issue 17); every other page keeps ``default-src 'self'`` for frames."""
    response.headers["Content-Security-Policy"] = (
        f"{CONTENT_SECURITY_POLICY}; frame-src {' '.join(origins)}"
    )


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
