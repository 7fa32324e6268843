"""The container's socket loop: connect, register, serve, reconnect forever."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import protocol
from .formats import (ArrayInputs, OutputError, batch_of, encode_outputs, input_converter,
                      model_name)
from .model import Model, ModelLoadError
from .protocol import FeedbackRequest, Heartbeat, PredictRequest, ProtocolError
from .registry import FrontendRegistry, RegistryWatcher

DEFAULT_LOGGER = logging.getLogger("cutter_container")

# How often the loop wakes up to check timers and the stop flag.
_POLL_MS = 100
# Backoff between connection attempts that never completed a handshake.
_BACKOFF_START_S = 0.1
_BACKOFF_MAX_S = 1.0

# ZMTP PLAIN user name sent with the secret; the frontend checks only the password.
PLAIN_USERNAME = b"cutter"
# ZMTP PLAIN encodes the password's length in one octet.
_MAX_SECRET_BYTES = 255
# Monitor value of EVENT_HANDSHAKE_FAILED_PROTOCOL when one peer uses NULL and
# the other PLAIN (libzmq's ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH).
_MECHANISM_MISMATCH = getattr(zmq, "PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH", 0x11000002)
# Its value for a spec-conformant PLAIN ERROR command, as Cutter's frontend sends
# on a wrong secret: libzmq 4.3 only recognizes its own ERROR, whose name it
# misspells on the wire ("\x05ERROR" in C is "\x5eRROR"), and reports others as
# unexpected. A libzmq server's refusal is EVENT_HANDSHAKE_FAILED_AUTH instead.
_UNEXPECTED_COMMAND = getattr(zmq, "PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND", 0x10000001)
_SECRET_HINT = "--secret / CUTTER_RPC_SECRET"


def run(
    model,
    name: str,
    version: str,
    input_type: str,
    host: Optional[str] = None,
    port: Optional[int] = None,
    logger: logging.Logger = DEFAULT_LOGGER,
    activity_timeout: float = 30.0,
    heartbeat_interval: float = 5.0,
    stop_event: Optional[threading.Event] = None,
    secret: Union[str, bytes, None] = None,
    redis: Optional[str] = None,
    redis_password: Optional[str] = None,
    redis_username: Optional[str] = None,
    registry_interval: float = 1.0,
) -> None:
    """Serve ``model`` to the Cutter frontend at ``host:port`` (by default
    ``127.0.0.1:7000``), or to every frontend registered in ``redis``, until stopped.

    ``model`` is any object with a ``predict(inputs)`` method (see
    :class:`cutter_container.Model`; its ``input_format``, ``load()`` and
    ``health()`` are optional).  The container registers as ``name:version``
    accepting ``input_type`` (``doubles``, ``floats``, ``ints``, ``strings``
    or ``bytes``).

    Before connecting, the model's ``input_format`` is checked and its
    ``load()`` called, once.  If either fails, the error is logged and
    :class:`ModelLoadError` raised: the container never registers.  An ``async``
    ``predict`` (or ``load``/``health``) runs on one asyncio event loop, created
    in the calling thread and closed when ``run`` returns.

    A ``health()`` method, if the model has one, is called before connecting
    and then every ``heartbeat_interval`` seconds; while it is false (or
    raises), no heartbeats are sent (see :class:`cutter_container.Model`).

    A heartbeat is sent after ``heartbeat_interval`` seconds without traffic.
    When nothing has been received for ``activity_timeout`` seconds, or the
    frontend's TCP connection drops, the socket is thrown away and a new one
    (with a new identity) connects, forever.

    With a ``secret`` (the frontend's ``rpc_secret``), the container
    authenticates with ZMTP PLAIN (user ``cutter``, the secret as password),
    which sends it in clear text.  Without one (or with an empty one) it uses
    no security mechanism, like Clipper's containers.  A frontend refusing the
    secret is logged as an error and retried like any failed connection attempt.

    With ``redis`` (``"HOST:PORT"``), ``host`` and ``port`` must not be given:
    the container reads the live frontends from Redis database 4 (the hashes
    ``frontend:<id>``, field ``rpc_address``) every ``registry_interval``
    seconds, authenticating with ``redis_password`` (and ``redis_username``,
    for an ACL user) if given.  It keeps one connection, as above, to each of
    them, joining a frontend when it appears and dropping it (with its queued
    batches) when its entry disappears.  The model's one instance serves the
    frontends' batches one at a time, in turn.  An unreachable Redis is logged
    and retried, keeping the connections to the frontends last read.

    Returns when ``stop_event`` is set.  Called from the main thread, it also
    installs SIGTERM/SIGINT handlers that set it; a second signal exits at once
    (``SystemExit(0)``), even while ``predict`` is running.
    """
    if isinstance(secret, str):
        secret = secret.encode()
    secret = secret or None  # Empty means none, as for the frontend's rpc_secret.
    if secret is not None and len(secret) > _MAX_SECRET_BYTES:
        raise ValueError(f"the secret must be at most {_MAX_SECRET_BYTES} bytes long, "
                         f"not {len(secret)}")
    registry = None
    if redis is not None:
        if host is not None or port is not None:
            raise ValueError("give either redis or host and port, not both")
        registry = FrontendRegistry(redis, password=redis_password, username=redis_username)
    elif redis_password or redis_username:
        raise ValueError("a Redis password or username needs redis")
    runner = _Runner(
        model=model,
        name=name,
        version=str(version),
        data_type=protocol.input_type_code(input_type),
        host="127.0.0.1" if host is None else host,
        port=7000 if port is None else int(port),
        log=logger,
        activity_timeout=activity_timeout,
        heartbeat_interval=heartbeat_interval,
        stop=stop_event if stop_event is not None else threading.Event(),
        secret=secret,
        registry=registry,
        registry_interval=registry_interval,
    )
    restore_signals = _install_signal_handlers(runner.stop)
    try:
        runner.run()
    finally:
        restore_signals()


def _install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    """Make SIGTERM/SIGINT request a clean stop; returns a function undoing it."""
    # Python only allows signal handlers in the main thread (tests run the
    # runner in a thread and stop it through the event instead).
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(signum, frame):
        if stop.is_set():
            raise SystemExit(0)  # Second signal: the model is stuck, leave now.
        stop.set()

    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, handle) for sig in signals}

    def restore():
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


_HANDSHAKE_FAILURES = (zmq.EVENT_HANDSHAKE_FAILED_AUTH, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                       zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)


@dataclass
class _Runner:
    """Configuration and loop of one running container (see :func:`run`)."""

    model: Any
    name: str
    version: str
    data_type: int
    host: str
    port: int
    log: logging.Logger
    activity_timeout: float
    heartbeat_interval: float
    stop: threading.Event
    secret: Optional[bytes] = None
    # With a registry, the frontends it lists are served instead of host:port.
    registry: Optional[FrontendRegistry] = None
    registry_interval: float = 1.0

    def __post_init__(self) -> None:
        self._name = model_name(self.model)
        self._arrays: Optional[ArrayInputs] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._health: Optional[Callable[[], Any]] = None
        self._healthy = True
        self._next_health_check = 0.0

    def run(self) -> None:
        try:
            self._prepare()
            self._serve_forever()
        finally:
            self._close_loop()

    def _prepare(self) -> None:
        """Check the input format, call ``load()`` and a first ``health()``."""
        try:
            self._arrays = input_converter(self.model)
        except ModelLoadError as err:
            self.log.error("%s", err)
            raise
        load = getattr(self.model, "load", None)
        if callable(load) and getattr(load, "__func__", None) is not Model.load:
            started = time.monotonic()
            self.log.info("loading %s", self._name)
            try:
                self._call(load)
            except Exception as err:
                self.log.exception("%s.load() failed, so the container does not register",
                                   self._name)
                raise ModelLoadError(f"{self._name}.load() failed: {err!r}") from err
            self.log.info("loaded %s in %.1f s", self._name, time.monotonic() - started)
        health = getattr(self.model, "health", None)
        if callable(health):
            self._health = health
            self._check_health(time.monotonic())

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Call a model method; an awaitable result is run on the runner's event loop."""
        result = function(*args)
        if inspect.isawaitable(result):
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            result = self._loop.run_until_complete(result)
        return result

    def _close_loop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            # Like asyncio.run: cancel what the model left running, then close.
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    def _check_health(self, now: float) -> None:
        """Call ``health()``; log when the container turns unhealthy or healthy again."""
        self._next_health_check = now + self.heartbeat_interval
        try:
            result = self._call(self._health)
            problem = None if result else f"returned {result!r}"
        except Exception as err:
            problem = f"raised {err!r}"
        if problem is None:
            if not self._healthy:
                self.log.info("%s.health() is true again: sending heartbeats again",
                              self._name)
            self._healthy = True
            return
        if self._healthy:
            self.log.warning("%s.health() %s: sending no heartbeats while it is unhealthy, so "
                             "the frontend drops this container after its container timeout",
                             self._name, problem)
        else:
            self.log.debug("%s.health() %s: still unhealthy", self._name, problem)
        self._healthy = False

    def _serve_forever(self) -> None:
        """Keep one connection per frontend; serve their batches one at a time.

        A single thread polls every connection's socket.  Each round handles at
        most one message per socket, starting with a different connection each
        round, so that a busy frontend cannot starve another: the model's one
        instance serves their batches in turn.
        """
        context = zmq.Context()
        connections: Dict[Tuple[str, int], _Connection] = {}
        watcher: Optional[RegistryWatcher] = None
        if self.registry is not None:
            watcher = RegistryWatcher(self.registry, self.log, self.stop, self.registry_interval)
            watcher.start()
        rotation = 0
        try:
            while not self.stop.is_set():
                if watcher is None:
                    targets: Optional[Dict[Tuple[str, int], str]] = {(self.host, self.port): ""}
                else:
                    targets = watcher.targets()
                if targets is not None:
                    self._update_connections(connections, targets)
                now = time.monotonic()
                poller = zmq.Poller()
                for conn in connections.values():
                    conn.open_if_due(context, now)
                    if conn.sock is not None:
                        poller.register(conn.sock, zmq.POLLIN)
                        poller.register(conn.monitor, zmq.POLLIN)
                if poller.sockets:
                    events = dict(poller.poll(_POLL_MS))
                else:
                    events = {}
                    self.stop.wait(_POLL_MS / 1000)
                if self._health is not None and time.monotonic() >= self._next_health_check:
                    self._check_health(time.monotonic())
                order = list(connections.values())
                if order:
                    rotation %= len(order)
                    order = order[rotation:] + order[:rotation]
                    rotation += 1
                for conn in order:
                    if conn.monitor is not None and conn.monitor in events:
                        conn.on_monitor_event()
                for conn in order:
                    if self.stop.is_set():
                        break
                    if conn.sock is not None and conn.sock in events and conn.receive_one():
                        continue
                    conn.check_timers(time.monotonic())
        finally:
            if watcher is not None:
                watcher.close()
            for conn in connections.values():
                conn.close()
            context.term()
            self.log.info("stopped")

    def _update_connections(self, connections: Dict[Tuple[str, int], "_Connection"],
                            targets: Dict[Tuple[str, int], str]) -> None:
        """Open a connection to each new frontend; drop those that left, with their work."""
        for target in [t for t in connections if t not in targets]:
            conn = connections.pop(target)
            self.log.info("frontend %sleft the registry: dropping the connection to %s:%s",
                          f"{conn.frontend_id} " if conn.frontend_id else "", *target)
            conn.close()
        for target, frontend_id in targets.items():
            if target in connections:
                # A frontend restarted at the same address keeps the connection.
                connections[target].frontend_id = frontend_id
            else:
                if frontend_id:
                    self.log.info("frontend %s joined the registry at %s:%s", frontend_id,
                                  *target)
                connections[target] = _Connection(self, target[0], target[1], frontend_id)

    def _predict(self, request: PredictRequest) -> List[str]:
        """Run the model on a batch; an empty list reports the batch as failed."""
        count = len(request.inputs)
        if request.data_type != self.data_type:
            self.log.error("request has data type %d but this container accepts %d",
                           request.data_type, self.data_type)
            return []
        try:
            batch = request.inputs
            if self._arrays is not None:
                batch = self._arrays.batch(request.data_type, batch)
            outputs = self._call(self.model.predict, batch)
        except Exception:
            self.log.exception("%s.predict failed on %s", self._name, batch_of(count))
            return []
        try:
            return encode_outputs(self.model, outputs, count)
        except OutputError as err:
            self.log.error("%s", err)
            return []


class _Connection:
    """The container's connection to one frontend: a DEALER socket, replaced
    (with a new identity) whenever it is deemed dead, after a backoff while
    attempts keep failing to register."""

    def __init__(self, runner: _Runner, host: str, port: int, frontend_id: str = "") -> None:
        self.runner = runner
        self.log = runner.log
        self.host = host
        self.port = port
        self.frontend_id = frontend_id
        self.where = f"{host}:{port}"
        self.address = f"tcp://[{host}]:{port}" if ":" in host else f"tcp://{host}:{port}"
        self.sock: Optional[zmq.Socket] = None
        self.monitor: Optional[zmq.Socket] = None
        self.attempt = 0
        self.failures = 0
        self.retry_at = 0.0
        self.registered = False
        # Heartbeats are only sent over an established TCP connection: queued
        # while zmq is still dialing, they would all arrive at once and each
        # make the frontend ask for our metadata again.
        self.connected = False
        self.last_received = self.last_traffic = 0.0

    def open_if_due(self, context: zmq.Context, now: float) -> None:
        """Open a fresh socket unless one is open or the backoff has not elapsed."""
        if self.sock is not None or now < self.retry_at:
            return
        self.attempt += 1
        self.log.info("%s to %s (attempt %d)",
                      "reconnecting" if self.attempt > 1 else "connecting", self.address,
                      self.attempt)
        sock = context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        # zmq re-dials a refused TCP connect by itself; cap its backoff at 1 s.
        sock.setsockopt(zmq.RECONNECT_IVL, 100)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        if ":" in self.host:
            sock.setsockopt(zmq.IPV6, 1)
        if self.runner.secret is not None:
            sock.plain_username = PLAIN_USERNAME
            sock.plain_password = self.runner.secret
        self.monitor = sock.get_monitor_socket(
            zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED | zmq.EVENT_HANDSHAKE_FAILED_AUTH
            | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        self.sock = sock
        self.registered = self.connected = False
        self.last_received = self.last_traffic = now
        sock.connect(self.address)

    def close(self) -> None:
        """Close the socket, dropping whatever it had queued."""
        sock, monitor, self.sock, self.monitor = self.sock, self.monitor, None, None
        if sock is not None:
            sock.disable_monitor()
            monitor.close(linger=0)
            sock.close(linger=0)

    def _end_attempt(self) -> None:
        """Throw the socket away; a new one connects (after a backoff if it never registered)."""
        self.close()
        # Only back off while attempts keep failing to register.
        self.failures = 0 if self.registered else self.failures + 1
        delay = 0.0
        if self.failures:
            delay = min(_BACKOFF_MAX_S, _BACKOFF_START_S * 2 ** (self.failures - 1))
        self.retry_at = time.monotonic() + delay

    def on_monitor_event(self) -> None:
        message = recv_monitor_message(self.monitor)
        event = message["event"]
        if event in _HANDSHAKE_FAILURES:
            # libzmq would re-dial by itself; a fresh socket after a
            # backoff instead logs each failed attempt exactly once.
            self._log_handshake_failure(event, message["value"])
            self._end_attempt()
        elif event == zmq.EVENT_DISCONNECTED:
            self.log.warning("lost connection to %s", self.where)
            self._end_attempt()
        elif event == zmq.EVENT_CONNECTED:
            # Say hello; the frontend answers by asking for our metadata.
            # This is before the ZMTP handshake (and PLAIN authentication):
            # zmq queues the message and sends it once the handshake is done.
            self.connected = True
            if self.runner._healthy:
                self._send(protocol.encode_heartbeat())
                self.last_traffic = time.monotonic()

    def receive_one(self) -> bool:
        """Handle one waiting message, if there is one; returns whether there was."""
        try:
            frames = self.sock.recv_multipart(flags=zmq.DONTWAIT)
        except zmq.Again:
            return False
        self.registered |= self._handle(frames)
        # Stamped after handling, so time spent inside predict() is
        # not mistaken for a silent frontend.
        self.last_received = self.last_traffic = time.monotonic()
        return True

    def check_timers(self, now: float) -> None:
        """Reconnect after ``activity_timeout`` of silence; heartbeat when idle."""
        if self.sock is None:
            return
        runner = self.runner
        if now - self.last_received >= runner.activity_timeout:
            if self.sock.get(zmq.EVENTS) & zmq.POLLIN:
                return  # Not silent: its messages waited while another frontend's batch ran.
            self.log.warning("nothing received from %s for %.1f s",
                             self.where, now - self.last_received)
            self._end_attempt()
            return
        if (self.connected and runner._healthy
                and now - self.last_traffic >= runner.heartbeat_interval):
            self._send(protocol.encode_heartbeat())
            self.last_traffic = now

    def _send(self, frames: List[bytes]) -> None:
        """Send without blocking: a blocking send would hang forever once libzmq
        has dropped the connection's queue, as it does after a failed handshake
        (e.g. a refused secret). The monitor then reports why, ending the attempt."""
        try:
            self.sock.send_multipart(frames, flags=zmq.DONTWAIT)
        except zmq.Again:
            self.log.debug("message to %s dropped: no connection to queue it on", self.where)

    def _log_handshake_failure(self, event: int, value: int) -> None:
        where = f"the frontend at {self.where}"
        secret = self.runner.secret
        if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH or (
                event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and value == _UNEXPECTED_COMMAND
                and secret is not None):
            self.log.error("%s refused this container's credentials: check %s against the "
                           "frontend's rpc_secret", where, _SECRET_HINT)
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and value == _MECHANISM_MISMATCH:
            if secret is not None:
                self.log.error("%s does not authenticate containers, but this container has a "
                               "secret: unset %s, or set rpc_secret on the frontend",
                               where, _SECRET_HINT)
            else:
                self.log.error("%s requires a secret: set %s to the frontend's rpc_secret",
                               where, _SECRET_HINT)
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
            self.log.error("ZMTP handshake with %s failed (protocol error 0x%x)", where, value)
        else:
            # No detail: the connection closed mid-handshake (`value` is an errno).
            # Depending on timing, that is also how a mismatch of secrets shows.
            if secret is not None:
                hint = f"if the frontend has no rpc_secret, unset {_SECRET_HINT}"
            else:
                hint = f"if the frontend has an rpc_secret, set {_SECRET_HINT} to it"
            self.log.warning("ZMTP handshake with %s failed (%s); %s", where,
                             os.strerror(value) if value else "connection closed", hint)

    def _handle(self, frames: List[bytes]) -> bool:
        """Handle one received message; returns whether it (re)registered us."""
        runner = self.runner
        try:
            message = protocol.decode_message(
                frames,
                decode_array=runner._arrays.decode if runner._arrays is not None else None)
        except ProtocolError as err:
            self.log.error("malformed message from frontend: %s", err)
            if err.msg_id is not None:
                self._send(protocol.encode_response(err.msg_id, []))
            return False

        if isinstance(message, Heartbeat):
            if message.kind != protocol.HEARTBEAT_REQUEST_METADATA:
                return False
            # First contact, or a frontend that forgot us (e.g. it restarted).
            self._send(protocol.encode_new_container(
                runner.name, runner.version, runner.data_type))
            self.log.info("connected to %s as %s:%s", self.where, runner.name, runner.version)
            return True
        if isinstance(message, FeedbackRequest):
            self.log.info("ignoring feedback request %d (feedback is not supported)",
                          int.from_bytes(message.msg_id, "little"))
            return False
        outputs = runner._predict(message)
        try:
            response = protocol.encode_response(message.msg_id, outputs)
        except UnicodeEncodeError as err:
            self.log.error("%s.predict returned text that cannot be encoded as UTF-8 for %s: %s",
                           runner._name, batch_of(len(message.inputs)), err)
            response = protocol.encode_response(message.msg_id, [])
        self._send(response)
        return False
