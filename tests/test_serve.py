"""The suite's own server (``tests.conftest.serve``) leaves no file open.

The browser tests close pages while icons and downloads are still in flight.
Werkzeug's development server then skips the response's ``close()`` (it
raises while draining the reset socket first), and the open file's
``ResourceWarning`` used to fail whichever test ran next (a clean-clone CI
of b51b4ff failed that way). Resetting connections just after a small file
is sent reproduces it: a few dozen of 100 such requests leaked their file
before ``serve`` closed the bodies itself.
"""

from __future__ import annotations

import gc
import socket
import struct
import time
import urllib.request
import warnings

from flask import Flask, send_file

from tests.conftest import serve

RESETS = 100


def _reset_after_request(port: int, delay: float) -> None:
    """Send a request, then drop the connection with a reset (no FIN, no reading)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /icon.svg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(delay)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_file_response_is_closed_when_the_client_resets_the_connection(tmp_path):
    icon = tmp_path / "icon.svg"
    icon.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    app = Flask(__name__)
    app.add_url_rule("/icon.svg", "icon", lambda: send_file(icon, mimetype="image/svg+xml"))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with serve(app) as base:
            port = int(base.rsplit(":", 1)[1])
            for i in range(RESETS):
                # Spread the reset over the moments around the server's write.
                _reset_after_request(port, delay=0.0002 * (i % 20))
            # The server still answers, and a whole response is read as before.
            with urllib.request.urlopen(base + "/icon.svg") as response:
                assert response.read() == icon.read_bytes()
        gc.collect()

    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []
