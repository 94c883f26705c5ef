"""Security headers on every response: pages, API, errors and static files alike."""
from __future__ import annotations

from flask import Flask, current_app
from werkzeug.wrappers import Response

# Everything the pages load comes from this server (assets are vendored, no CDN), and no
# page carries inline script: data reaches scripts through data- attributes and
# <script type="application/json"> blocks, which CSP does not execute.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # No 'unsafe-inline' for styles either: bpmn-js and ECharts set styles through the
    # DOM (element.style), which CSP allows; htmx's own <style> is switched off in
    # base.html. tests/browser/test_csp.py and every browser test run under this policy.
    "style-src 'self'",
    # data: for the bpmn.io logo bpmn-js draws as a data: URI image (its licence asks to keep it).
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# A year, without includeSubDomains: other hosts of the same government domain may not speak HTTPS.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def init_app(app: Flask) -> None:
    """Add the headers to every response ``app`` sends."""
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    """Set the policy headers unless a view chose its own."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for browsers that predate it
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response
