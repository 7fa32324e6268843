"""Discovery of the live Cutter frontends that share one Redis.

Each frontend keeps a hash ``frontend:<id>`` in Redis database 4, with the
fields ``id``, ``rpc_address`` (``HOST:PORT`` of its container RPC port) and
``started_at``, under a TTL that it refreshes while it runs.  This module reads
those hashes with a minimal RESP2 client over a plain socket (no dependency).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any, Dict, List, Optional, Tuple, Union

REGISTRY_DB = 4
KEY_PATTERN = "frontend:*"
KEY_PREFIX = "frontend:"


class RedisError(Exception):
    """An error reply from Redis (``-ERR ...``, ``-WRONGPASS ...``)."""


class RedisProtocolError(OSError):
    """A reply that is not valid RESP; the connection cannot be used any more."""


def parse_address(text: str, what: str = "address") -> Tuple[str, int]:
    """``HOST:PORT`` (or ``[IPv6]:PORT``) as ``(host, port)``; raises ``ValueError``."""
    host, sep, port_text = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not sep or not host or not 0 < port < 65536:
        raise ValueError(f"{what} must be HOST:PORT, not {text!r}")
    return host, port


def _encode(args: Tuple[Union[str, bytes, int], ...]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, int):
            arg = str(arg)
        if isinstance(arg, str):
            arg = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


class RespClient:
    """A blocking RESP2 connection to Redis, every operation bounded by ``timeout``.

    Replies: simple strings as ``str``, bulk strings as ``bytes`` (``None`` for
    a nil), integers as ``int``, arrays as ``list``; an error reply raises
    :class:`RedisError`.  Network failures raise ``OSError`` (``socket.timeout``
    included) and leave the client closed.
    """

    def __init__(self, host: str, port: int, timeout: float = 2.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._sock: Optional[socket.socket] = None
        self._buffer = b""

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self) -> None:
        self.close()
        self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self._buffer = b""

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def command(self, *args: Union[str, bytes, int]) -> Any:
        """Send one command and return its reply (raising an error reply)."""
        if self._sock is None:
            self.connect()
        try:
            self._sock.sendall(_encode(args))
            reply = self._read_reply()
        except OSError:
            self.close()
            raise
        if isinstance(reply, RedisError):
            raise reply
        return reply

    def _read_reply(self) -> Any:
        line = self._read_line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        if kind == b"-":
            return RedisError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return self._int(rest)
        if kind == b"$":
            size = self._int(rest)
            if size < 0:
                return None
            data = self._read_exact(size + 2)
            if data[-2:] != b"\r\n":
                raise RedisProtocolError("bulk string not terminated by CRLF")
            return data[:-2]
        if kind == b"*":
            count = self._int(rest)
            if count < 0:
                return None
            items = [self._read_reply() for _ in range(count)]
            # An error nested in an array (e.g. from EXEC) is returned, not raised.
            return items
        raise RedisProtocolError(f"unexpected reply from Redis: {line[:40]!r}")

    @staticmethod
    def _int(text: bytes) -> int:
        try:
            return int(text)
        except ValueError:
            raise RedisProtocolError(f"bad number in reply from Redis: {text[:40]!r}") from None

    def _fill(self) -> None:
        data = self._sock.recv(65536)
        if not data:
            raise ConnectionError("Redis closed the connection")
        self._buffer += data

    def _read_line(self) -> bytes:
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line, self._buffer = self._buffer[:end], self._buffer[end + 2:]
                return line
            if len(self._buffer) > 1 << 20:
                raise RedisProtocolError("reply line from Redis too long")
            self._fill()

    def _read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


class FrontendRegistry:
    """Reads the live frontends from Redis; keeps one connection between reads."""

    def __init__(self, address: str, password: Optional[str] = None,
                 username: Optional[str] = None, timeout: float = 2.0,
                 db: int = REGISTRY_DB) -> None:
        self.address = address
        host, port = parse_address(address, "the Redis address")
        self.password = password or None
        self.username = username or None
        if self.username is not None and self.password is None:
            raise ValueError("a Redis username needs a password")
        self.db = db
        self._client = RespClient(host, port, timeout)

    def close(self) -> None:
        self._client.close()

    def frontends(self) -> Dict[str, str]:
        """``{frontend id: rpc_address}`` of every registered frontend.

        Raises ``OSError`` when Redis cannot be reached and :class:`RedisError`
        when it refuses a command (e.g. a wrong password).
        """
        client = self._client
        if not client.connected:
            client.connect()
            try:
                if self.password is not None:
                    if self.username is not None:
                        client.command("AUTH", self.username, self.password)
                    else:
                        client.command("AUTH", self.password)
                client.command("SELECT", self.db)
            except RedisError:
                client.close()  # Authenticate again from scratch next time.
                raise
        keys: List[bytes] = []
        cursor = b"0"
        while True:
            reply = client.command("SCAN", cursor, "MATCH", KEY_PATTERN, "COUNT", 100)
            if (not isinstance(reply, list) or len(reply) != 2
                    or not isinstance(reply[1], list)):
                client.close()
                raise RedisProtocolError(f"unexpected SCAN reply: {reply!r}")
            cursor, batch = reply
            keys.extend(batch)
            if cursor in (b"0", "0", None):
                break
        found: Dict[str, str] = {}
        for key in dict.fromkeys(keys):  # SCAN may return a key twice.
            value = client.command("HGET", key, "rpc_address")
            if value is None:
                continue  # Expired or deleted since the SCAN.
            ident = key.decode("utf-8", "replace")[len(KEY_PREFIX):]
            found[ident] = value.decode("utf-8", "replace")
        return found


class RegistryWatcher:
    """A thread reading a :class:`FrontendRegistry` every ``interval`` seconds.

    :meth:`targets` returns the latest ``{(host, port): frontend id}``, or
    ``None`` before the first successful read.  Failures keep the last known
    set (the frontends themselves may well be up) and are logged once, until
    a read succeeds again.
    """

    def __init__(self, registry: FrontendRegistry, log: logging.Logger,
                 stop: threading.Event, interval: float = 1.0) -> None:
        self.registry = registry
        self.log = log
        self.interval = interval
        self._stop = stop
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._targets: Optional[Dict[Tuple[str, int], str]] = None
        self._problem: Optional[str] = None
        self._bad_entries: Dict[str, str] = {}
        self.reads = 0  # successful reads, for tests
        self._thread = threading.Thread(target=self._run, name="cutter-registry", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._done.set()
        self._thread.join()
        self.registry.close()

    def targets(self) -> Optional[Dict[Tuple[str, int], str]]:
        with self._lock:
            return None if self._targets is None else dict(self._targets)

    def _run(self) -> None:
        while not (self._stop.is_set() or self._done.is_set()):
            self.poll_once()
            if self._done.wait(self.interval):
                break

    def poll_once(self) -> None:
        where = f"the frontend registry in Redis at {self.registry.address}"
        try:
            entries = self.registry.frontends()
        except RedisError as err:
            self._fail(f"Redis at {self.registry.address} refused a command ({err}): check "
                       "--redis-username/--redis-password and the user's ACL")
            return
        except OSError as err:
            self._fail(f"cannot read {where}: {err or type(err).__name__}")
            return
        targets: Dict[Tuple[str, int], str] = {}
        for ident, rpc_address in sorted(entries.items()):
            try:
                target = parse_address(rpc_address, "rpc_address")
            except ValueError as err:
                if self._bad_entries.get(ident) != rpc_address:
                    self.log.warning("ignoring frontend %s in Redis: %s", ident, err)
                self._bad_entries[ident] = rpc_address
                continue
            targets.setdefault(target, ident)
        self._bad_entries = {k: v for k, v in self._bad_entries.items() if k in entries}
        if self._problem is not None:
            self.log.info("reading %s again", where)
            self._problem = None
        elif self._targets is None:
            self.log.info("reading %s", where)
        if not targets and (self._targets is None or self._targets):
            self.log.info("no frontend registered in Redis at %s: waiting for one",
                          self.registry.address)
        if targets != self._targets:
            self.log.debug("the registry lists %d frontend(s): %s", len(targets), ", ".join(
                f"{ident} at {host}:{port}" for (host, port), ident in targets.items()))
        with self._lock:
            self._targets = targets
        self.reads += 1

    def _fail(self, problem: str) -> None:
        if problem != self._problem:
            self.log.warning("%s; retrying every %g s", problem, self.interval)
        else:
            self.log.debug("%s", problem)
        self._problem = problem
