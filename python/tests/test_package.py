"""The package on its own: recording, topologies, tensors, a viewer that is absent or slow. Runs with
`python -m pytest python` or `python -m unittest discover -s python/tests` (cargo test runs the latter)."""

import json
import os
import socket
import sys
import tempfile
import threading
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sigmascope  # noqa: E402
from sigmascope import _protocol  # noqa: E402

NAMES = {"atom_names": ["N", "CA", "C", "O"], "residue_index": [1, 1, 1, 1], "chain_index": [0, 0, 0, 0]}


class FakeTensor:
    """What the package sees of a torch tensor: detach, cpu, float, numpy (torch itself not needed)."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.float64)
        self.calls = []

    def detach(self):
        self.calls.append("detach")
        return self

    def cpu(self):
        self.calls.append("cpu")
        return self

    def float(self):
        return self

    def numpy(self):
        return self.values


class RecordTest(unittest.TestCase):
    def test_record_writes_the_npz_sigmascope_reads(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "run.npz")
            tensor = FakeTensor(np.ones((4, 3)))
            with sigmascope.record(path, topology=NAMES) as run:
                for k in range(3):
                    run.log(np.full((4, 3), float(k)), x0_hat=tensor, sigma=10.0 - k, step=k)
            data = np.load(path)
            self.assertEqual(data["x_t"].shape, (3, 4, 3))
            self.assertEqual(data["x_t"].dtype, np.float32)
            self.assertEqual(list(data["sigma"]), [10.0, 9.0, 8.0])
            self.assertEqual(list(data["atom_names"]), NAMES["atom_names"])
            self.assertEqual(list(data["chain_ids"]), ["A"] * 4)
            self.assertTrue((data["x0_hat"] == 1.0).all())
            self.assertEqual(tensor.calls[:2], ["detach", "cpu"])
            self.assertEqual([f for f in os.listdir(d)], ["run.npz"], "no temporary file is left")

    def test_atom37_steps_are_flattened_by_the_mask(self):
        mask = np.zeros((2, 37))
        mask[:, [0, 1, 2, 4]] = 1  # N CA C O of two GLY
        topology = {"aatype": [7, 7], "atom_mask": mask}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "run.npz")
            with sigmascope.record(path, topology=topology) as run:
                x = np.zeros((2, 37, 3))
                x[1, 4] = [1.0, 2.0, 3.0]
                run.log(x)
            data = np.load(path)
            self.assertEqual(data["x_t"].shape, (1, 8, 3))
            self.assertEqual(list(data["x_t"][0, 7]), [1.0, 2.0, 3.0])
            self.assertEqual(list(data["atom_names"][:4]), ["N", "CA", "C", "O"])
            self.assertEqual(list(data["residue_names"]), ["GLY"] * 8)

    def test_bad_steps_are_refused_with_the_reason(self):
        run = sigmascope.record(os.path.join(tempfile.gettempdir(), "never.npz"), topology=NAMES)
        with self.assertRaisesRegex(ValueError, r"\(4, 3\)"):
            run.log(np.zeros((5, 3)))
        with self.assertRaisesRegex(ValueError, "NaN"):
            run.log(np.full((4, 3), np.nan))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ConnectTest(unittest.TestCase):
    def test_an_absent_viewer_fails_in_one_line_or_turns_logging_off(self):
        address = f"127.0.0.1:{free_port()}"
        with self.assertRaises(ConnectionError) as caught:
            sigmascope.connect(address, topology=NAMES, timeout=2)
        self.assertNotIn("\n", str(caught.exception))
        self.assertIn(address, str(caught.exception))
        run = sigmascope.connect(address, topology=NAMES, strict=False, timeout=2)
        run.log(np.zeros((4, 3)))  # a no-op
        run.close()

    def test_a_slow_viewer_drops_the_oldest_steps_and_says_how_many(self):
        atoms = 20000
        names = {"atom_names": ["CA"] * atoms, "residue_index": list(range(atoms))}
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        received = {}
        loop_done = threading.Event()

        def viewer():
            conn, _ = server.accept()
            stream = conn.makefile("rwb")
            _protocol.read_message(stream)
            stream.write(json.dumps({"type": "welcome", "version": 1, "atoms": atoms}).encode() + b"\n")
            stream.flush()
            # The viewer reads nothing until the loop has logged every step: a log that waited for it
            # would keep the loop from finishing.
            received["loop_finished_first"] = loop_done.wait(timeout=60)
            steps, close = 0, None
            while True:
                message = _protocol.read_message(stream)
                if message is None:
                    break
                if message[0]["type"] == "step":
                    steps += 1
                else:
                    close = message[0]
            received.update(steps=steps, close=close)
            conn.close()

        thread = threading.Thread(target=viewer)
        thread.start()
        address = "127.0.0.1:%d" % server.getsockname()[1]
        run = sigmascope.connect(address, topology=names, queue_size=4)
        for k in range(60):
            run.log(np.full((atoms, 3), float(k)), sigma=1.0, step=k)
        loop_done.set()
        run.close()
        thread.join()
        server.close()
        self.assertTrue(received["loop_finished_first"], "log never waits for the viewer")
        self.assertGreater(run.dropped, 0)
        self.assertEqual(received["steps"] + run.dropped, 60)
        self.assertEqual(received["close"]["dropped"], run.dropped)


if __name__ == "__main__":
    unittest.main()
