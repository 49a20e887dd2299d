#!/usr/bin/env python3
"""serve-mock against stalled clients (issue 21): starts `BIN serve-mock` under `ulimit -n 1024`,
opens 1,100 sockets that each send one header byte and then nothing, times a normal
`GET /tunes` three times while they are open, waits (up to 30 s) for the server to close them,
and times one more request.

    python3 benchmarks/stalled_sockets.py [BIN]     # default .build/release/tuneprep
"""
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/tuneprep"
port, count = 18321, 1100
server = subprocess.Popen(["bash", "-c", f"ulimit -n 1024; exec {binary} serve-mock --port {port} --no-callbacks"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "ASTRIA_API_KEY": "k"})
print(server.stdout.readline().decode().strip())
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))  # this side needs more than the server's 1024
sockets = []
opened = time.time()
for _ in range(count):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    sockets.append(s)
time.sleep(0.5)
for s in sockets:
    try:
        s.send(b"G")  # one header byte, then nothing
    except OSError:
        pass


def timed():
    start = time.time()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/tunes", headers={"Authorization": "Bearer k"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.status, time.time() - start


for _ in range(3):
    print("a normal request while %d sockets stall: status %d in %.3f s" % ((count,) + timed()))
    time.sleep(1)
still_open = set(range(count))
deadline = time.time() + 30
while still_open and time.time() < deadline:
    for i in list(still_open):
        try:
            if sockets[i].recv(10) == b"":
                still_open.discard(i)
        except BlockingIOError:
            pass
        except OSError:
            still_open.discard(i)
    time.sleep(0.2)
print("stalled sockets still open %.1f s after they connected: %d of %d" % (time.time() - opened, len(still_open), count))
print("a normal request afterwards: status %d in %.3f s" % timed())
server.terminate()
print("serve-mock exit status", server.wait())
