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
from typing import Any, Callable, List, Optional, Union

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import protocol
from .formats import (ArrayInputs, OutputError, batch_of, encode_outputs, input_converter,
                      model_name)
from .model import Model, ModelLoadError
from .protocol import FeedbackRequest, Heartbeat, PredictRequest, ProtocolError

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
    host: str = "127.0.0.1",
    port: int = 7000,
    logger: logging.Logger = DEFAULT_LOGGER,
    activity_timeout: float = 30.0,
    heartbeat_interval: float = 5.0,
    stop_event: Optional[threading.Event] = None,
    secret: Union[str, bytes, None] = None,
) -> None:
    """Serve ``model`` to the Cutter frontend at ``host:port`` until stopped.

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
    runner = _Runner(
        model=model,
        name=name,
        version=str(version),
        data_type=protocol.input_type_code(input_type),
        host=host,
        port=int(port),
        log=logger,
        activity_timeout=activity_timeout,
        heartbeat_interval=heartbeat_interval,
        stop=stop_event if stop_event is not None else threading.Event(),
        secret=secret,
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
            self._connect_forever()
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

@@CONN@@
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
