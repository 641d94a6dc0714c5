"""A small fake release site on loopback: serves files with HTTP range support, and can cut a
transfer short or corrupt a file, to test the bundle's download source."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class FakeRelease:
    files: dict[str, bytes] = field(default_factory=dict)
    # path -> number of bytes after which the next response for it is cut off (once)
    cut_after: dict[str, int] = field(default_factory=dict)
    honour_ranges: bool = True
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    base_url: str = ""

    def add(self, path: str, content: bytes, checksum: str | None = None, checksum_style: str = "bare") -> None:
        """Publish content at path, with a checksum file in one of the styles real releases use."""
        self.files[path] = content
        digest = hashlib.sha256(content).hexdigest()
        name = path.rsplit("/", 1)[-1]
        if checksum is not None:
            self.files[checksum] = (digest if checksum_style == "bare" else f"{digest}  {name}").encode() + b"\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    release: FakeRelease

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        path = self.path
        byte_range = self.headers.get("Range")
        self.release.requests.append((path, byte_range))
        content = self.release.files.get(path)
        if content is None:
            self.send_error(404)
            return
        start = 0
        if byte_range and self.release.honour_ranges:
            start = int(byte_range.removeprefix("bytes=").split("-")[0])
            if start >= len(content):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(content) - 1}/{len(content)}")
        else:
            self.send_response(200)
        body = content[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = self.release.cut_after.pop(path, None)
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.connection.shutdown(2)  # the transfer breaks off mid-file
            return
        self.wfile.write(body)


@contextmanager
def serve(release: FakeRelease) -> Iterator[FakeRelease]:
    handler = type("Handler", (_Handler,), {"release": release})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    release.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield release
    finally:
        server.shutdown()
        server.server_close()
