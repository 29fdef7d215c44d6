"""Streaming a sampling loop into sigmascope, live: `connect` opens a run in the window (or in
`sigmascope listen`) and `Run.log` sends one step. Sending happens on a thread behind a bounded queue,
so a slow or absent viewer never slows the loop: when the queue is full the oldest step is dropped and
counted, and the count is reported at close."""

import collections
import json
import os
import socket
import sys
import threading

from . import _protocol
from ._arrays import as_numpy, points
from ._topology import topology_of

PROTOCOL = "sigmascope-stream"
VERSION = 1
DEFAULT_ADDRESS = "127.0.0.1:9876"


def _split_address(address):
    host, _, port = address.rpartition(":")
    if not host:
        host = "127.0.0.1"
    return host.strip("[]"), int(port)


class Refused(ConnectionError):
    """sigmascope answered, and refused the run (the reason is the message)."""


class _Null:
    """What `connect(strict=False)` returns when there is no viewer: every call does nothing."""

    dropped = 0
    error = None

    def log(self, *args, **kwargs):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Run:
    """One streamed run. Use `log` once per step and `close` at the end (or `with connect(...) as run`)."""

    def __init__(self, sock, topology, queue_size):
        self._sock = sock
        self._file = sock.makefile("rwb")
        self._topology = topology
        self._queue = collections.deque()
        self._size = queue_size
        self._cond = threading.Condition()
        self._closing = False
        self.dropped = 0
        self.error = None
        self._sender = threading.Thread(target=self._send_loop, daemon=True, name="sigmascope sender")
        self._sender.start()

    def log(self, x_t, x0_hat=None, sigma=None, step=None, **scalars):
        """Sends one step: x_t (and x̂0) as [atoms, 3] or atom37 [residues, 37, 3], NumPy or torch."""
        if self.error is not None or self._closing:
            return
        header = {"type": "step", "step": step, "sigma": None if sigma is None else float(as_numpy(sigma)),
                  "scalars": {k: float(as_numpy(v)) for k, v in scalars.items()}}
        arrays = [("x_t", points(x_t, self._topology, "x_t"))]
        if x0_hat is not None:
            arrays.append(("x0_hat", points(x0_hat, self._topology, "x0_hat")))
        with self._cond:
            if len(self._queue) >= self._size:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append((header, arrays))
            self._cond.notify()

    def _send_loop(self):
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                header, arrays = self._queue.popleft()
            try:
                _protocol.write_message(self._file, header, arrays)
            except OSError as e:
                self.error = f"the viewer went away: {e}"
                return

    def close(self):
        """Sends what is queued, then closes the run; the number of dropped steps is in `dropped`."""
        if self._closing:
            return
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._sender.join()
        try:
            if self.error is None:
                _protocol.write_message(self._file, {"type": "close", "dropped": self.dropped})
        except OSError as e:
            self.error = f"the viewer went away: {e}"
        finally:
            self._file.close()
            self._sock.close()
        if self.dropped:
            print(f"sigmascope: {self.dropped} steps were dropped (the viewer was slower than the loop)",
                  file=sys.stderr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect(address=None, topology=None, name=None, strict=True, queue_size=64, timeout=10.0):
    """Opens a live run. `address` defaults to SIGMASCOPE_ADDRESS or 127.0.0.1:9876; `topology` is a
    PDB/mmCIF path or the naming arrays (see README). A viewer that cannot be reached raises
    ConnectionError with the reason, or with strict=False gives a run whose calls do nothing."""
    address = address or os.environ.get("SIGMASCOPE_ADDRESS") or DEFAULT_ADDRESS
    if topology is None:
        raise ValueError("connect needs a topology: a PDB/mmCIF path or the naming arrays")
    topo = topology_of(topology)
    try:
        sock = socket.create_connection(_split_address(address), timeout=timeout)
        sock.settimeout(timeout)
        stream = sock.makefile("rwb")
        descr, arrays = topo.hello()
        hello = {"protocol": PROTOCOL, "version": VERSION, "type": "hello", "name": name,
                 "token": os.environ.get("SIGMASCOPE_TOKEN"), "topology": descr}
        _protocol.write_message(stream, hello, arrays)
        line = stream.readline()
        stream.close()
        if not line:
            raise Refused(f"sigmascope at {address} closed the connection")
        reply = json.loads(line)
        if reply.get("type") != "welcome":
            raise Refused(f"sigmascope at {address} refused the run: {reply.get('message')}")
        sock.settimeout(None)
        if topo.atoms is None:
            topo.atoms = int(reply["atoms"])
        return Run(sock, topo, queue_size)
    except (OSError, ValueError) as e:
        message = e if isinstance(e, Refused) else ConnectionError(
            f"cannot reach sigmascope at {address}: {e}")
        if strict:
            raise message from None
        print(f"sigmascope: {message}; logging is off", file=sys.stderr)
        return _Null()
