"""Wait until loopback ports accept connections (used by the run script)."""

import socket
import sys
import time

deadline = time.monotonic() + 30
for port in map(int, sys.argv[1:]):
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"nothing answers on port {port}")
            time.sleep(0.2)
