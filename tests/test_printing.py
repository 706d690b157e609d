"""Printed documents (``core.pdf_from_html``) load nothing but ``data:`` URIs."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from pypdf import PdfReader

from core import PRINT_STYLE, pdf_from_html


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_document_reads_no_file_and_reaches_no_server(tmp_path: Path) -> None:
    # A name printed unescaped by some template would otherwise put the server's files into the PDF.
    leak = tmp_path / "leak.css"
    leak.write_text('body::after { content: "LEAKED-FILE"; }', encoding="utf-8")
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b'body::before { content: "LEAKED-HTTP"; }')

        def log_message(self, *args: object) -> None:
            """Quiet: http.server logs each request to standard error; the test's output is its assertions."""

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        html = f"""<!doctype html><html><head><meta charset="utf-8"><style>{PRINT_STYLE}</style>
        <link rel="stylesheet" href="{leak.as_uri()}">
        <link rel="stylesheet" href="http://127.0.0.1:{server.server_port}/x.css">
        <link rel="stylesheet" href="data:text/css,h1::after%7Bcontent:%22DATA-OK%22%7D">
        </head><body><h1>拨付清单</h1><img src="{leak.as_uri()}"></body></html>"""
        text = _text(pdf_from_html(html))
    finally:
        server.shutdown()
    assert "拨付清单" in text and "DATA-OK" in text  # data: URIs (the charts) still load
    assert "LEAKED" not in text and asked == []
