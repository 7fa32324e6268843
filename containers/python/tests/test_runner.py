"""End-to-end tests against a fake frontend: a pyzmq ROUTER on loopback."""

import asyncio
import base64
import json
import logging
import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import zmq
from zmq.auth.thread import ThreadAuthenticator

from cutter_container import Model, ModelLoadError, run
from cutter_container.examples import EchoModel, SumModel
from cutter_container.protocol import u32, u64

HEARTBEAT = [b"", u32(2)]


class FakeFrontend:
    """Just enough of the Cutter frontend to drive one container."""

    def __init__(self, port=None, context=None, plain_server=False):
        self.context = context or zmq.Context.instance()
        self.sock = self.context.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.plain_server = plain_server
        if port is None:
            self.port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        else:
            self.port = port
            self._rebind(port)

    def _rebind(self, port):
        # The previous frontend's listener is torn down asynchronously.
        deadline = time.monotonic() + 5
        while True:
            try:
                self.sock.bind(f"tcp://127.0.0.1:{port}")
                return
            except zmq.ZMQError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def recv(self, timeout=5.0):
        """Next message as (identity, frames without the identity)."""
        if not self.sock.poll(int(timeout * 1000)):
            raise TimeoutError("no message from the container")
        identity, *frames = self.sock.recv_multipart()
        return identity, frames

    def send(self, identity, frames):
        self.sock.send_multipart([identity, *frames])

    def handshake(self, name="m", version="1", data_type=3, timeout=5.0):
        """Answer the container's first heartbeat; returns its identity."""
        identity, frames = self.recv(timeout)
        assert frames == HEARTBEAT
        self.send(identity, [b"", u32(3), u32(2), u32(1)])
        assert self.recv()[1] == [b"", u32(0), name.encode(), version.encode(),
                                  str(data_type).encode(), u32(3)]
        return identity

    def predict(self, identity, msg_id, data_type, payloads):
        """Send one batch; returns the decoded outputs (a list of str)."""
        header = struct.pack(f"<{2 + len(payloads)}Q", data_type, len(payloads),
                             *(len(p) for p in payloads))
        self.send(identity, [b"", u32(3), u32(1), u32(msg_id), u32(0),
                             u64(len(header)), header, *payloads])
        while True:
            sender, frames = self.recv()
            if frames != HEARTBEAT:
                break
        assert sender == identity
        assert frames[:3] == [b"", u32(1), u32(msg_id)]
        out_header = frames[4]
        assert frames[3] == u64(len(out_header))
        count, *sizes = struct.unpack(f"<{len(out_header) // 8}Q", out_header)
        assert count == len(sizes) == len(frames) - 5
        assert sizes == [len(f) for f in frames[5:]]
        return [f.decode() for f in frames[5:]]

    def close(self):
        self.sock.close(linger=0)


def doubles(*values):
    return struct.pack(f"<{len(values)}d", *values)


@pytest.fixture
def frontend():
    front = FakeFrontend()
    yield front
    front.close()


@pytest.fixture
def secure_frontend():
    """A fake frontend with rpc_secret "right": ZMTP PLAIN checked by a ZAP handler."""
    # A context of its own, so that its ZAP handler sees no other test's sockets.
    context = zmq.Context()
    auth = ThreadAuthenticator(context)
    auth.start()
    auth.configure_plain(domain="*", passwords={"cutter": "right"})
    front = FakeFrontend(context=context, plain_server=True)
    yield front
    front.close()
    auth.stop()
    context.term()


class LogWaiter(logging.Handler):
    """Collects the container's log records and lets a test wait for one."""

    def __init__(self):
        super().__init__()
        self.records = []
        self.changed = threading.Condition()

    def emit(self, record):
        with self.changed:
            self.records.append(record)
            self.changed.notify_all()

    def wait_for(self, text, count=1, timeout=5.0):
        """Waits until ``count`` messages contain ``text``; returns those records."""
        def matching():
            found = [r for r in self.records if text in r.getMessage()]
            return found if len(found) >= count else None
        with self.changed:
            found = self.changed.wait_for(matching, timeout)
        assert found, f"not logged {count} time(s) within {timeout} s: {text!r}"
        return found


@pytest.fixture
def container_log(caplog):
    caplog.set_level(logging.INFO, logger="cutter_container")
    waiter = LogWaiter()
    logger = logging.getLogger("cutter_container")
    logger.addHandler(waiter)
    yield waiter
    logger.removeHandler(waiter)


def test_handshake_and_batch_of_doubles(frontend, start_container, caplog):
    caplog.set_level(logging.INFO, logger="cutter_container")
    start_container(SumModel(), frontend.port)
    identity = frontend.handshake()
    assert frontend.predict(identity, 5, 3, [doubles(1.0, 2.0), doubles(3.0)]) == ["3.0", "3.0"]
    assert f"connected to 127.0.0.1:{frontend.port} as m:1" in caplog.messages


@pytest.mark.parametrize("input_type,data_type,payload,expected", [
    ("doubles", 3, doubles(1.0, 2.5), [1.0, 2.5]),
    ("floats", 2, struct.pack("<2f", 1.0, 2.5), [1.0, 2.5]),
    ("ints", 1, struct.pack("<2i", 7, -8), [7, -8]),
    ("strings", 4, "héllo".encode(), "héllo"),
    ("bytes", 0, b"\x00\xff", base64.b64encode(b"\x00\xff").decode()),
])
def test_echo_round_trip(frontend, start_container, input_type, data_type, payload, expected):
    start_container(EchoModel(), frontend.port, input_type=input_type)
    identity = frontend.handshake(data_type=data_type)
    outputs = frontend.predict(identity, 1, data_type, [payload, payload])
    assert [json.loads(out) for out in outputs] == [expected, expected]


class PickyModel(Model):
    """Misbehaves on request: raises, returns too few outputs, or outputs of a bad type."""

    def predict(self, inputs):
        if "raise" in inputs:
            raise RuntimeError("model exploded")
        if "short" in inputs:
            return ["x"]
        if "badtype" in inputs:
            return [b"bytes"] * len(inputs)  # neither str nor JSON-serializable
        if "notalist" in inputs:
            return {"a": 1}
        if "surrogate" in inputs:
            return ["\ud800"] * len(inputs)  # a str that UTF-8 cannot encode
        return [s.upper() for s in inputs]


def test_model_errors_answered_with_zero_outputs(frontend, start_container, caplog):
    start_container(PickyModel(), frontend.port, input_type="strings")
    identity = frontend.handshake(data_type=4)
    assert frontend.predict(identity, 1, 4, [b"a", b"b"]) == ["A", "B"]
    for msg_id, bad in enumerate([b"raise", b"short", b"badtype", b"notalist", b"surrogate"],
                                 start=2):
        assert frontend.predict(identity, msg_id, 4, [b"a", bad]) == []
    assert frontend.predict(identity, 9, 4, [b"ok"]) == ["OK"]
    assert "model exploded" in caplog.text  # logged with its traceback
    # The errors name the model class and the batch size.
    assert "PickyModel.predict failed on a batch of 2 inputs" in caplog.messages
    assert ("PickyModel.predict returned 1 output for a batch of 2 inputs: it must return one "
            "output per input") in caplog.messages
    assert any(m.startswith("PickyModel.predict returned bytes as output 0 for a batch of 2 "
                            "inputs: each output must be str, numbers") for m in caplog.messages)
    assert any(m.startswith("PickyModel.predict returned dict for a batch of 2 inputs: it must "
                            "return a list") for m in caplog.messages)
    assert any(m.startswith("PickyModel.predict returned text that cannot be encoded as UTF-8 "
                            "for a batch of 2 inputs") for m in caplog.messages)
    # A batch of the wrong data type fails too, without reaching the model.
    assert frontend.predict(identity, 10, 3, [doubles(1.0)]) == []


def test_heartbeats(frontend, start_container):
    start_container(SumModel(), frontend.port)
    identity = frontend.handshake()
    # Idle: the container heartbeats; a keep-alive reply needs no answer.
    for _ in range(2):
        assert frontend.recv() == (identity, HEARTBEAT)
        frontend.send(identity, [b"", u32(3), u32(2), u32(0)])
    # A frontend that lost track of us asks for metadata again.
    assert frontend.recv() == (identity, HEARTBEAT)
    frontend.send(identity, [b"", u32(3), u32(2), u32(1)])
    assert frontend.recv()[1] == [b"", u32(0), b"m", b"1", b"3", u32(3)]
    assert frontend.predict(identity, 3, 3, [doubles(2.0, 2.0)]) == ["4.0"]


def test_reconnects_when_frontend_restarts(frontend, start_container):
    start_container(SumModel(), frontend.port)  # default 30 s activity timeout
    first = frontend.handshake()
    frontend.close()
    restarted = FakeFrontend(frontend.port)
    try:
        second = restarted.handshake()
        assert second != first  # a new socket, so a new identity
        assert restarted.predict(second, 1, 3, [doubles(1.0)]) == ["1.0"]
    finally:
        restarted.close()


def test_reconnects_after_silence(frontend, start_container):
    start_container(SumModel(), frontend.port, activity_timeout=0.5)
    first, frames = frontend.recv()
    assert frames == HEARTBEAT
    # Never answer: after 0.5 s of silence a fresh socket says hello.
    while True:
        identity, frames = frontend.recv()
        assert frames == HEARTBEAT
        if identity != first:
            break


def test_waits_for_a_frontend_that_starts_late(start_container):
    probe = FakeFrontend()
    port = probe.port
    probe.close()
    start_container(SumModel(), port, activity_timeout=0.5)
    time.sleep(1.5)  # Several connection attempts fail meanwhile.
    late = FakeFrontend(port)
    try:
        identity = late.handshake(timeout=5)
        assert late.predict(identity, 1, 3, [doubles(1.0, 1.0)]) == ["2.0"]
    finally:
        late.close()


def test_registers_with_the_right_secret(secure_frontend, start_container, container_log):
    # The hello heartbeat is sent at TCP connect, before the PLAIN handshake:
    # zmq holds it back until authentication succeeded.
    start_container(SumModel(), secure_frontend.port, secret="right")
    identity = secure_frontend.handshake()
    assert secure_frontend.predict(identity, 1, 3, [doubles(1.0, 2.0)]) == ["3.0"]
    container_log.wait_for(f"connected to 127.0.0.1:{secure_frontend.port} as m:1")
    assert not [r for r in container_log.records if r.levelno >= logging.WARNING]


def test_wrong_secret_is_refused_and_retried(secure_frontend, start_container, container_log,
                                             caplog):
    start_container(SumModel(), secure_frontend.port, secret="wrong")
    refusal = (f"the frontend at 127.0.0.1:{secure_frontend.port} refused this container's "
               "credentials: check --secret / CUTTER_RPC_SECRET against the "
               "frontend's rpc_secret")
    container_log.wait_for(refusal, count=2)  # The second one after a backoff.
    assert not secure_frontend.sock.poll(200)  # Nothing got through.
    # Logged once per attempt, as an error (caplog sees it too).
    kinds = [("attempt" if "(attempt" in r.getMessage() else "refusal")
             for r in container_log.records
             if "(attempt" in r.getMessage() or r.getMessage() == refusal]
    assert kinds[:4] == ["attempt", "refusal", "attempt", "refusal"]
    assert all(a != b for a, b in zip(kinds, kinds[1:]))
    assert [r.levelno for r in caplog.records if r.getMessage() == refusal][:2] == [
        logging.ERROR, logging.ERROR]
    assert not [r for r in container_log.records if "connected to" in r.getMessage()]


class SpecPlainServer:
    """A frontend refusing every PLAIN HELLO with a spec-conformant ERROR, as
    Cutter's does (libzmq's own ERROR command is spelled differently)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.hellos = queue.Queue()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed
            with conn:
                conn.settimeout(5)
                # ZMTP 3.0 greeting: signature, version, mechanism, as-server, filler.
                conn.sendall(b"\xff" + bytes(7) + b"\x01\x7f\x03\x00"
                             + b"PLAIN".ljust(20, b"\0") + b"\x01" + bytes(31))
                try:
                    self._read(conn, 64)  # the container's greeting
                    _flags, size = self._read(conn, 2)
                    self.hellos.put(self._read(conn, size))
                    error = b"\x05ERROR" + bytes([19]) + b"invalid credentials"
                    conn.sendall(bytes([0x04, len(error)]) + error)
                except OSError:
                    pass

    @staticmethod
    def _read(conn, count):
        data = b""
        while len(data) < count:
            chunk = conn.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def close(self):
        self.listener.close()


def test_wrong_secret_refused_by_a_spec_plain_server(start_container, container_log):
    server = SpecPlainServer()
    try:
        start_container(SumModel(), server.port, secret="wrong")
        assert server.hellos.get(timeout=5) == b"\x05HELLO\x06cutter\x05wrong"
        record = container_log.wait_for(
            f"the frontend at 127.0.0.1:{server.port} refused this container's credentials: "
            "check --secret / CUTTER_RPC_SECRET against the frontend's rpc_secret")[0]
        assert record.levelno == logging.ERROR
    finally:
        server.close()


def test_missing_secret_is_explained(secure_frontend, start_container, container_log):
    start_container(SumModel(), secure_frontend.port)
    # Depending on timing libzmq reports a mechanism mismatch ("... requires a
    # secret: set ...") or just a closed connection; both messages give the hint.
    record = container_log.wait_for("set --secret / CUTTER_RPC_SECRET to")[0]
    assert record.levelno >= logging.WARNING
    assert not secure_frontend.sock.poll(100)


def test_secret_for_a_frontend_without_one_is_explained(frontend, start_container,
                                                        container_log):
    start_container(SumModel(), frontend.port, secret="right")
    # Depending on timing libzmq reports a mechanism mismatch or just a closed
    # connection; both messages give the hint.
    container_log.wait_for("unset --secret / CUTTER_RPC_SECRET")
    assert not frontend.sock.poll(100)


def test_command_line_serves_and_exits_cleanly_on_sigterm(frontend):
    env = dict(os.environ, CLIPPER_MODEL_NAME="env-model", CLIPPER_MODEL_VERSION="7",
               CLIPPER_INPUT_TYPE="doubles", CLIPPER_IP="127.0.0.1",
               CLIPPER_PORT=str(frontend.port))
    proc = subprocess.Popen([sys.executable, "-m", "cutter_container", "--model", "sum"],
                            env=env, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr],
                     daemon=True).start()
    try:
        identity = frontend.handshake(name="env-model", version="7", timeout=10)
        expected = f"connected to 127.0.0.1:{frontend.port} as env-model:7"
        while expected not in lines.get(timeout=5):
            pass
        assert frontend.predict(identity, 1, 3, [doubles(1.0, 2.0, 3.0)]) == ["6.0"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
    finally:
        proc.kill()
        proc.wait()


class StackedSum(Model):
    """Numpy input: sums the rows of the stacked batch; outputs JSON numbers and dicts."""

    input_format = "stacked"

    def __init__(self):
        self.batches = []

    def predict(self, inputs):
        import numpy
        self.batches.append(inputs)
        if isinstance(inputs, numpy.ndarray):
            return inputs.sum(axis=1)  # one numpy float per input
        return [{"sum": x.sum(), "length": len(x)} for x in inputs]


def test_numpy_inputs_and_json_outputs(frontend, start_container):
    numpy = pytest.importorskip("numpy")
    model = StackedSum()
    start_container(model, frontend.port)
    identity = frontend.handshake()
    assert frontend.predict(identity, 1, 3, [doubles(1.0, 2.0), doubles(3.0, 0.5)]) == [
        "3.0", "3.5"]
    outputs = frontend.predict(identity, 2, 3, [doubles(1.0, 2.0), doubles(4.0)])
    assert [json.loads(out) for out in outputs] == [{"sum": 3.0, "length": 2},
                                                    {"sum": 4.0, "length": 1}]
    first, second = model.batches
    assert first.dtype == numpy.float64 and first.shape == (2, 2)
    assert [x.dtype for x in second] == [numpy.float64] * 2


class IntArrays(Model):
    input_format = "arrays"

    def predict(self, inputs):
        return [str(x.dtype) for x in inputs]


def test_int_arrays(frontend, start_container):
    pytest.importorskip("numpy")
    start_container(IntArrays(), frontend.port, input_type="ints")
    identity = frontend.handshake(data_type=1)
    assert frontend.predict(identity, 1, 1, [struct.pack("<2i", 1, 2)]) == ["int32"]


class SlowLoad(Model):
    """Loads its 'weights' in load(), which waits until the test lets it finish."""

    def __init__(self, offset="0"):
        self.offset = float(offset)
        self.release = threading.Event()
        self.loads = 0
        self.threads = set()

    def load(self):
        self.threads.add(threading.current_thread())
        assert self.release.wait(5)
        self.loads += 1
        self.weights = 10.0

    def predict(self, inputs):
        self.threads.add(threading.current_thread())
        return [self.weights * sum(x) + self.offset for x in inputs]


def test_load_runs_once_before_registering(frontend, start_container, container_log):
    model = SlowLoad(offset="0.5")
    start_container(model, frontend.port)
    container_log.wait_for("loading SlowLoad")
    assert not frontend.sock.poll(300)  # nothing sent while load() runs
    model.release.set()
    identity = frontend.handshake()
    assert frontend.predict(identity, 1, 3, [doubles(1.0, 2.0)]) == ["30.5"]
    assert frontend.predict(identity, 2, 3, [doubles(1.0)]) == ["10.5"]
    assert model.loads == 1
    assert len(model.threads) == 1  # load() and predict() run in the runner's thread
    container_log.wait_for("loaded SlowLoad in ")


class BrokenLoad(Model):
    def load(self):
        raise FileNotFoundError("no weights at /models/m")

    def predict(self, inputs):
        raise AssertionError("never called")


def test_failed_load_never_registers(frontend, container_log):
    with pytest.raises(ModelLoadError, match="BrokenLoad.load.. failed: FileNotFoundError") as info:
        run(BrokenLoad(), "m", "1", "doubles", port=frontend.port)
    assert isinstance(info.value.__cause__, FileNotFoundError)
    record = container_log.wait_for("BrokenLoad.load() failed, so the container does not "
                                    "register")[0]
    assert record.levelno == logging.ERROR and record.exc_info  # with the traceback
    assert not frontend.sock.poll(200)


def test_bad_input_format_fails_before_load(frontend, container_log):
    class Typo(SlowLoad):
        input_format = "stack"

    model = Typo()
    with pytest.raises(ModelLoadError, match="Typo.input_format must be one of"):
        run(model, "m", "1", "doubles", port=frontend.port)
    assert model.loads == 0 and not model.threads
    container_log.wait_for("Typo.input_format must be one of")


class AsyncModel(Model):
    """async def predict (and load), on one event loop reused for every batch."""

    def __init__(self):
        self.loops = []

    async def load(self):
        await asyncio.sleep(0)
        self.loops.append(asyncio.get_running_loop())

    async def predict(self, inputs):
        await asyncio.sleep(0.01)
        self.loops.append(asyncio.get_running_loop())
        return [len(x) for x in inputs]


def test_async_predict(frontend, start_container):
    model = AsyncModel()
    start_container(model, frontend.port)
    identity = frontend.handshake()
    assert frontend.predict(identity, 1, 3, [doubles(1.0, 2.0), doubles(3.0)]) == ["2", "1"]
    assert frontend.predict(identity, 2, 3, [doubles()]) == ["0"]
    assert len(model.loops) == 3 and len(set(model.loops)) == 1


def test_async_predict_errors_fail_the_batch(frontend, start_container, caplog):
    class AsyncFailing(Model):
        async def predict(self, inputs):
            raise ValueError("async trouble")

    start_container(AsyncFailing(), frontend.port)
    identity = frontend.handshake()
    assert frontend.predict(identity, 1, 3, [doubles(1.0)]) == []
    assert "AsyncFailing.predict failed on a batch of 1 input" in caplog.messages
    assert "async trouble" in caplog.text


class Flaky(Model):
    """health() follows a flag; raising counts as unhealthy."""

    def __init__(self):
        self.state = True
        self.checks = 0

    def health(self):
        self.checks += 1
        if self.state == "raise":
            raise ConnectionError("GPU lost")
        return self.state

    def predict(self, inputs):
        return [float(sum(x)) for x in inputs]


def heartbeats_within(front, identity, seconds):
    """Counts the container's heartbeats for ``seconds``, answering each."""
    count = 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if not front.sock.poll(int(left * 1000)):
            break
        sender, frames = front.recv()
        assert (sender, frames) == (identity, HEARTBEAT)
        front.send(identity, [b"", u32(3), u32(2), u32(0)])
        count += 1
    return count


def next_heartbeat(front, identity):
    assert front.recv() == (identity, HEARTBEAT)
    front.send(identity, [b"", u32(3), u32(2), u32(0)])


def test_unhealthy_container_stops_heartbeating(frontend, start_container, container_log):
    model = Flaky()
    start_container(model, frontend.port, heartbeat_interval=0.1)
    identity = frontend.handshake()
    next_heartbeat(frontend, identity)
    warning = ("Flaky.health() {}: sending no heartbeats while it is unhealthy, so the frontend "
               "drops this container after its container timeout")
    healthy_again = "Flaky.health() is true again: sending heartbeats again"
    for number, (state, problem) in enumerate(
            [(False, "returned False"), ("raise", "raised ConnectionError('GPU lost')")], 1):
        model.state = state
        record = container_log.wait_for(warning.format(problem))[0]
        assert record.levelno == logging.WARNING
        heartbeats_within(frontend, identity, 0.15)  # one may have been on its way
        assert heartbeats_within(frontend, identity, 0.5) == 0
        # Batches still sent to it are answered.
        assert frontend.predict(identity, number, 3, [doubles(1.0, 2.0)]) == ["3.0"]
        checks = model.checks
        model.state = True
        container_log.wait_for(healthy_again, count=number)
        next_heartbeat(frontend, identity)
        assert model.checks > checks
    # Logged once per change, not at every check.
    assert len([r for r in container_log.records if r.levelno == logging.WARNING]) == 2


def test_unhealthy_at_start_does_not_register(frontend, start_container, container_log):
    model = Flaky()
    model.state = False
    start_container(model, frontend.port, heartbeat_interval=0.1)
    container_log.wait_for("Flaky.health() returned False")
    assert not frontend.sock.poll(400)  # no hello while unhealthy
    model.state = True
    frontend.handshake()  # registers once healthy


def test_readme_model_through_the_command_line(frontend, tmp_path):
    """The README's complete model: --model-arg, load(), stacked numpy input, JSON output."""
    pytest.importorskip("numpy")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    code = readme.split("```python\n# mymodule.py\n", 1)[1].split("```", 1)[0]
    (tmp_path / "mymodule.py").write_text(code)
    models = tmp_path / "models" / "m"
    models.mkdir(parents=True)
    (models / "weights.json").write_text("[0.5, 0.25]")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cutter_container", "--model", "mymodule:MyModel", "--name", "m",
         "--port", str(frontend.port), "--model-arg", f"path={models}"],
        cwd=tmp_path, stderr=subprocess.DEVNULL)
    try:
        identity = frontend.handshake(timeout=10)
        outputs = frontend.predict(identity, 1, 3, [doubles(1.0, 2.0), doubles(4.0, -8.0)])
        assert [json.loads(out) for out in outputs] == [{"score": 1.0, "positive": True},
                                                        {"score": 0.0, "positive": False}]
        assert frontend.predict(identity, 2, 3, [doubles(1.0, 2.0), doubles(1.0)]) == []
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
    finally:
        proc.kill()
        proc.wait()
