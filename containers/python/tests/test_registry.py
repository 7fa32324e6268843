"""Scale-out: the RESP client, and a container serving every frontend registered in Redis.

The end-to-end tests run the real ``redis-server`` (skipped when it is not
installed) and pyzmq ROUTER sockets standing in for the frontends.
"""

import logging
import shutil
import socket
import struct
import subprocess
import threading
import time

import pytest

from cutter_container import Model, run
from cutter_container.examples import SumModel
from cutter_container.protocol import u32, u64
from cutter_container.registry import (FrontendRegistry, RedisError, RedisProtocolError,
                                       RespClient, parse_address)

from test_runner import HEARTBEAT, FakeFrontend, LogWaiter, doubles

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
needs_redis = pytest.mark.skipif(shutil.which(REDIS_SERVER) is None,
                                 reason="redis-server is not installed")


# ---------------------------------------------------------------- a scripted RESP server

class ScriptedRedis:
    """A one-connection TCP server: records each command, answers with ``reply(args)``
    (raw bytes, sent in ``chunk``-byte pieces to exercise the client's buffering)."""

    def __init__(self, reply, chunk=None):
        self.reply = reply
        self.chunk = chunk
        self.commands = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            reader = conn.makefile("rb")
            while True:
                line = reader.readline()
                if not line:
                    return
                assert line.startswith(b"*")
                args = []
                for _ in range(int(line[1:])):
                    size = int(reader.readline()[1:])
                    args.append(reader.read(size + 2)[:-2])
                self.commands.append(args)
                answer = self.reply(args)
                if answer is None:
                    return  # hang up
                step = self.chunk or len(answer) or 1
                for start in range(0, len(answer), step):
                    conn.sendall(answer[start:start + step])

    def close(self):
        self.listener.close()


@pytest.fixture
def scripted():
    servers = []

    def start(reply, chunk=None):
        server = ScriptedRedis(reply, chunk)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.mark.parametrize("chunk", [None, 1])
def test_resp_reply_types(scripted, chunk):
    replies = {
        b"simple": b"+OK\r\n",
        b"int": b":-42\r\n",
        b"bulk": b"$7\r\nhe\r\nllo\r\n",  # a bulk string may hold CRLF
        b"empty": b"$0\r\n\r\n",
        b"nil": b"$-1\r\n",
        b"array": b"*3\r\n$1\r\na\r\n:1\r\n*2\r\n+x\r\n$-1\r\n",
        b"nilarray": b"*-1\r\n",
    }
    server = scripted(lambda args: replies[args[0]], chunk)
    client = RespClient("127.0.0.1", server.port, timeout=5)
    assert client.command("simple") == "OK"
    assert client.command("int") == -42
    assert client.command("bulk") == b"he\r\nllo"
    assert client.command("empty") == b""
    assert client.command("nil") is None
    assert client.command("array") == [b"a", 1, ["x", None]]
    assert client.command("nilarray") is None
    client.close()


def test_resp_encodes_commands_as_bulk_strings(scripted):
    server = scripted(lambda args: b"+OK\r\n")
    client = RespClient("127.0.0.1", server.port, timeout=5)
    client.command("HGET", b"frontend:\xff", "r\u00e9", 7, "")
    assert server.commands == [[b"HGET", b"frontend:\xff", "r\u00e9".encode(), b"7", b""]]
    client.close()


def test_resp_error_reply_raises_and_keeps_the_connection(scripted):
    server = scripted(lambda args: b"-WRONGPASS invalid\r\n" if args[0] == b"AUTH"
                      else b"+PONG\r\n")
    client = RespClient("127.0.0.1", server.port, timeout=5)
    with pytest.raises(RedisError, match="WRONGPASS invalid"):
        client.command("AUTH", "x")
    assert client.connected
    assert client.command("PING") == "PONG"
    client.close()


@pytest.mark.parametrize("answer,error", [
    (b"?what\r\n", RedisProtocolError),
    (b":notanumber\r\n", RedisProtocolError),
    (b"$3\r\nabcde", RedisProtocolError),  # no CRLF after the bulk string
    (None, ConnectionError),  # the server hangs up
])
def test_resp_bad_replies_close_the_client(scripted, answer, error):
    server = scripted(lambda args: answer)
    client = RespClient("127.0.0.1", server.port, timeout=5)
    with pytest.raises(error):
        client.command("PING")
    assert not client.connected


def test_resp_timeout_and_refused_connection(scripted):
    server = scripted(lambda args: b"")  # never answers
    client = RespClient("127.0.0.1", server.port, timeout=0.2)
    with pytest.raises(socket.timeout):
        client.command("PING")
    assert not client.connected
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(ConnectionRefusedError):
        RespClient("127.0.0.1", port, timeout=1).command("PING")


@pytest.mark.parametrize("text,expected", [
    ("127.0.0.1:7000", ("127.0.0.1", 7000)),
    ("frontend-1.example:65535", ("frontend-1.example", 65535)),
    ("[::1]:7000", ("::1", 7000)),
    (" redis:6379\n", ("redis", 6379)),
])
def test_parse_address(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["redis", ":6379", "redis:", "redis:0", "redis:70000",
                                  "redis:port"])
def test_parse_address_errors(text):
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_address(text, "--redis")


def test_registry_commands(scripted):
    """AUTH with a user, SELECT 4, SCAN over several cursors, HGET each key once."""
    def reply(args):
        if args[0] in (b"AUTH", b"SELECT"):
            return b"+OK\r\n"
        if args[0] == b"SCAN":
            assert args[2:] == [b"MATCH", b"frontend:*", b"COUNT", b"100"]
            if args[1] == b"0":
                return b"*2\r\n$2\r\n17\r\n*1\r\n$10\r\nfrontend:a\r\n"
            return b"*2\r\n$1\r\n0\r\n*2\r\n$10\r\nfrontend:b\r\n$10\r\nfrontend:a\r\n"
        if args == [b"HGET", b"frontend:a", b"rpc_address"]:
            return b"$13\r\n10.0.0.1:7000\r\n"
        return b"$-1\r\n"  # frontend:b expired between SCAN and HGET
    server = scripted(reply)
    registry = FrontendRegistry(f"127.0.0.1:{server.port}", password="pw", username="u")
    assert registry.frontends() == {"a": "10.0.0.1:7000"}
    assert server.commands == [
        [b"AUTH", b"u", b"pw"], [b"SELECT", b"4"],
        [b"SCAN", b"0", b"MATCH", b"frontend:*", b"COUNT", b"100"],
        [b"SCAN", b"17", b"MATCH", b"frontend:*", b"COUNT", b"100"],
        [b"HGET", b"frontend:a", b"rpc_address"], [b"HGET", b"frontend:b", b"rpc_address"],
    ]
    registry.close()


def test_registry_needs_a_password_for_a_username():
    with pytest.raises(ValueError, match="needs a password"):
        FrontendRegistry("127.0.0.1:6379", username="u")


# ---------------------------------------------------------------- a real redis-server

class RedisServer:
    def __init__(self, directory, port=None, *args):
        if port is None:
            probe = socket.create_server(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            probe.close()
        self.port = port
        self.address = f"127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(directory), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:  # Ready once it answers (NOAUTH counts).
            try:
                RespClient("127.0.0.1", port, timeout=1).command("PING")
                break
            except RedisError:
                break
            except OSError:
                assert self.proc.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)

    def admin(self, *auth):
        client = RespClient("127.0.0.1", self.port, timeout=5)
        if auth:
            client.command("AUTH", *auth)
        client.command("SELECT", 4)
        return client

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


@pytest.fixture
def redis_servers(tmp_path):
    started = []

    def start(*args, port=None):
        server = RedisServer(tmp_path, port, *args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def register(admin, ident, port):
    """What a frontend does: its hash, with a TTL."""
    key = f"frontend:{ident}"
    admin.command("HSET", key, "id", ident, "rpc_address", f"127.0.0.1:{port}",
                  "started_at", int(time.time()))
    admin.command("EXPIRE", key, 10)


@pytest.fixture
def log():
    logger = logging.getLogger("cutter_container")
    waiter = LogWaiter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(waiter)
    yield waiter
    logger.removeHandler(waiter)
    logger.setLevel(previous)


@pytest.fixture
def frontends():
    made = []

    def make():
        front = FakeFrontend()
        made.append(front)
        return front

    yield make
    for front in made:
        front.close()


def send_strings(front, identity, msg_id, *texts):
    payloads = [t.encode() for t in texts]
    header = struct.pack(f"<{2 + len(payloads)}Q", 4, len(payloads), *map(len, payloads))
    front.send(identity, [b"", u32(3), u32(1), u32(msg_id), u32(0), u64(len(header)), header,
                          *payloads])


def recv_response(front):
    """The next response (skipping heartbeats) as (msg_id, outputs)."""
    while True:
        _, frames = front.recv()
        if frames != HEARTBEAT:
            break
    assert frames[1] == u32(1)
    return int.from_bytes(frames[2], "little"), [f.decode() for f in frames[5:]]


class GateModel(Model):
    """Strings: records each input it serves; an input "block" waits for ``release``."""

    def __init__(self):
        self.served = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def predict(self, inputs):
        if "block" in inputs:
            self.entered.set()
            assert self.release.wait(10)
        self.served.extend(inputs)
        return list(inputs)


@needs_redis
def test_serves_every_registered_frontend(redis_servers, start_container, frontends, log):
    redis = redis_servers()
    admin = redis.admin()
    a, b, c = frontends(), frontends(), frontends()
    register(admin, "a", a.port)
    register(admin, "b", b.port)
    admin.command("SET", "frontend-not-a-hash", "x")  # not matched by frontend:*
    model = GateModel()
    start_container(model, redis=redis.address, input_type="strings")
    ida, idb = a.handshake(data_type=4), b.handshake(data_type=4)
    send_strings(a, ida, 1, "x")
    send_strings(b, idb, 2, "y")
    assert recv_response(a) == (1, ["x"])
    assert recv_response(b) == (2, ["y"])
    log.wait_for("frontend a joined the registry")

    # Round-robin: while the model is busy, a queues five batches and b two;
    # b's are served in turn with a's, not after all of them.
    send_strings(a, ida, 10, "block")
    assert model.entered.wait(5)
    for n in range(1, 5):
        send_strings(a, ida, 10 + n, f"a{n}")
    send_strings(b, idb, 20, "b1")
    send_strings(b, idb, 21, "b2")
    model.release.set()
    assert [recv_response(a)[0] for _ in range(5)] == [10, 11, 12, 13, 14]
    assert [recv_response(b)[0] for _ in range(2)] == [20, 21]
    served = model.served[model.served.index("block"):]
    # In FIFO order b1 would come after a4. With round-robin it comes among a's first batches; how
    # early depends on when b's messages reach the container's queue, so only "before a4" is asserted.
    assert served.index("b1") < served.index("a4"), served

    # A frontend that leaves the registry is dropped, with its queued batch.
    model.entered.clear()
    model.release.clear()
    send_strings(a, ida, 30, "block")
    assert model.entered.wait(5)
    send_strings(b, idb, 31, "dropped")
    left = time.monotonic()
    admin.command("DEL", "frontend:b")
    log.wait_for("the registry lists 1 frontend(s): a at")
    model.release.set()
    log.wait_for("frontend b left the registry: dropping the connection to 127.0.0.1:"
                 f"{b.port}")
    assert time.monotonic() - left < 2.0
    assert recv_response(a) == (30, ["block"])
    send_strings(a, ida, 32, "still here")
    assert recv_response(a) == (32, ["still here"])
    assert "dropped" not in model.served

    # A frontend that registers is joined within 2 s.
    joined = time.monotonic()
    register(admin, "c", c.port)
    idc = c.handshake(data_type=4, timeout=2.0)
    assert time.monotonic() - joined < 2.0
    send_strings(c, idc, 40, "z")
    assert recv_response(c) == (40, ["z"])
    admin.close()


@needs_redis
def test_password_protected_redis(redis_servers, start_container, frontends, log):
    redis = redis_servers("--requirepass", "s3cret")
    admin = redis.admin("s3cret")
    front = frontends()
    register(admin, "only", front.port)
    start_container(SumModel(), redis=redis.address, redis_password="s3cret")
    identity = front.handshake()
    assert front.predict(identity, 1, 3, [doubles(1.0, 2.0)]) == ["3.0"]
    admin.close()


@needs_redis
def test_read_only_acl_user_and_wrong_password(redis_servers, start_container, frontends, log):
    redis = redis_servers("--requirepass", "admin")
    admin = redis.admin("admin")
    # The setup the README recommends.
    admin.command("ACL", "SETUSER", "cutter-container", "on", ">reader", "%R~frontend:*",
                  "resetchannels", "-@all", "+select", "+scan", "+hget", "+ping")
    front = frontends()
    register(admin, "f", front.port)
    registry = FrontendRegistry(redis.address, password="reader", username="cutter-container")
    assert registry.frontends() == {"f": f"127.0.0.1:{front.port}"}
    with pytest.raises(RedisError, match="NOPERM"):
        registry._client.command("HSET", "frontend:f", "rpc_address", "evil:1")
    registry.close()

    # A wrong password is logged once, not at every poll.
    start_container(SumModel(), redis=redis.address, redis_password="wrong",
                    redis_username="cutter-container", registry_interval=0.05)
    log.wait_for("refused a command (WRONGPASS", count=4)
    warnings = [r for r in log.records if r.levelno == logging.WARNING
                and "refused a command" in r.getMessage()]
    assert len(warnings) == 1
    assert "check --redis-username/--redis-password" in warnings[0].getMessage()

    start_container(SumModel(), redis=redis.address, redis_password="reader",
                    redis_username="cutter-container")
    identity = front.handshake()
    assert front.predict(identity, 1, 3, [doubles(2.0)]) == ["2.0"]
    admin.close()


@needs_redis
def test_unreachable_redis_is_logged_once_and_retried(redis_servers, start_container,
                                                      frontends, log):
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    start_container(SumModel(), redis=f"127.0.0.1:{port}", registry_interval=0.05)
    log.wait_for(f"cannot read the frontend registry in Redis at 127.0.0.1:{port}", count=4)
    assert len([r for r in log.records if r.levelno == logging.WARNING
                and "cannot read the frontend registry" in r.getMessage()]) == 1
    redis = redis_servers(port=port)
    front = frontends()
    register(redis.admin(), "late", front.port)
    log.wait_for(f"reading the frontend registry in Redis at 127.0.0.1:{port} again")
    identity = front.handshake()
    assert front.predict(identity, 1, 3, [doubles(1.0, 1.0)]) == ["2.0"]


def test_run_rejects_host_and_port_with_redis():
    with pytest.raises(ValueError, match="not both"):
        run(SumModel(), "m", "1", "doubles", port=7000, redis="127.0.0.1:6379")
    with pytest.raises(ValueError, match="needs redis"):
        run(SumModel(), "m", "1", "doubles", redis_password="x")
