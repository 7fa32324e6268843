"""The container's socket loop: connect, register, serve, reconnect forever."""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import protocol
from .protocol import FeedbackRequest, Heartbeat, PredictRequest, ProtocolError

DEFAULT_LOGGER = logging.getLogger("cutter_container")

# How often the loop wakes up to check timers and the stop flag.
_POLL_MS = 100
# Backoff between connection attempts that never completed a handshake.
_BACKOFF_START_S = 0.1
_BACKOFF_MAX_S = 1.0


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
) -> None:
    """Serve ``model`` to the Cutter frontend at ``host:port`` until stopped.

    ``model`` is any object with a ``predict(inputs) -> list[str]`` method (see
    :class:`cutter_container.Model`).  The container registers as
    ``name:version`` accepting ``input_type`` (``doubles``, ``floats``,
    ``ints``, ``strings`` or ``bytes``).

    A heartbeat is sent after ``heartbeat_interval`` seconds without traffic.
    When nothing has been received for ``activity_timeout`` seconds, or the
    frontend's TCP connection drops, the socket is thrown away and a new one
    (with a new identity) connects, forever.

    Returns when ``stop_event`` is set.  Called from the main thread, it also
    installs SIGTERM/SIGINT handlers that set it; a second signal exits at once
    (``SystemExit(0)``), even while ``predict`` is running.
    """
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

    def run(self) -> None:
        address = f"tcp://{self.host}:{self.port}"
        context = zmq.Context()
        failures = 0
        attempt = 0
        try:
            while not self.stop.is_set():
                if failures:
                    delay = min(_BACKOFF_MAX_S, _BACKOFF_START_S * 2 ** (failures - 1))
                    if self.stop.wait(delay):
                        break
                attempt += 1
                self.log.info("%s to %s (attempt %d)",
                              "reconnecting" if attempt > 1 else "connecting", address, attempt)
                registered = self._serve_connection(context, address)
                # Only back off while attempts keep failing to register.
                failures = 0 if registered else failures + 1
        finally:
            context.term()
            self.log.info("stopped")

    def _serve_connection(self, context: zmq.Context, address: str) -> bool:
        """Serve on one fresh DEALER socket until it is deemed dead or we stop.

        Returns whether the container registered with a frontend on it.
        """
        sock = context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        # zmq re-dials a refused TCP connect by itself; cap its backoff at 1 s.
        sock.setsockopt(zmq.RECONNECT_IVL, 100)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        monitor = sock.get_monitor_socket(zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED)
        try:
            sock.connect(address)
            return self._serve(sock, monitor)
        finally:
            sock.disable_monitor()
            monitor.close(linger=0)
            sock.close(linger=0)

    def _serve(self, sock: zmq.Socket, monitor: zmq.Socket) -> bool:
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        poller.register(monitor, zmq.POLLIN)
        registered = False
        # Heartbeats are only sent over an established TCP connection: queued
        # while zmq is still dialing, they would all arrive at once and each
        # make the frontend ask for our metadata again.
        connected = False
        last_received = last_traffic = time.monotonic()
        while not self.stop.is_set():
            events = dict(poller.poll(_POLL_MS))
            if monitor in events:
                event = recv_monitor_message(monitor)["event"]
                if event == zmq.EVENT_DISCONNECTED:
                    self.log.warning("lost connection to %s:%s", self.host, self.port)
                    return registered
                if event == zmq.EVENT_CONNECTED:
                    # Say hello; the frontend answers by asking for our metadata.
                    connected = True
                    sock.send_multipart(protocol.encode_heartbeat())
                    last_traffic = time.monotonic()
            if sock in events:
                registered |= self._handle(sock, sock.recv_multipart())
                # Stamped after handling, so time spent inside predict() is
                # not mistaken for a silent frontend.
                last_received = last_traffic = time.monotonic()
                continue
            now = time.monotonic()
            if now - last_received >= self.activity_timeout:
                self.log.warning("nothing received from %s:%s for %.1f s",
                                 self.host, self.port, now - last_received)
                return registered
            if connected and now - last_traffic >= self.heartbeat_interval:
                sock.send_multipart(protocol.encode_heartbeat())
                last_traffic = now
        return registered

    def _handle(self, sock: zmq.Socket, frames: List[bytes]) -> bool:
        """Handle one received message; returns whether it (re)registered us."""
        try:
            message = protocol.decode_message(frames)
        except ProtocolError as err:
            self.log.error("malformed message from frontend: %s", err)
            if err.msg_id is not None:
                sock.send_multipart(protocol.encode_response(err.msg_id, []))
            return False

        if isinstance(message, Heartbeat):
            if message.kind != protocol.HEARTBEAT_REQUEST_METADATA:
                return False
            # First contact, or a frontend that forgot us (e.g. it restarted).
            sock.send_multipart(
                protocol.encode_new_container(self.name, self.version, self.data_type))
            self.log.info("connected to %s:%s as %s:%s",
                          self.host, self.port, self.name, self.version)
            return True
        if isinstance(message, FeedbackRequest):
            self.log.info("ignoring feedback request %d (feedback is not supported)",
                          int.from_bytes(message.msg_id, "little"))
            return False
        sock.send_multipart(protocol.encode_response(message.msg_id, self._predict(message)))
        return False

    def _predict(self, request: PredictRequest) -> List[str]:
        """Run the model on a batch; an empty list reports the batch as failed."""
        count = len(request.inputs)
        if request.data_type != self.data_type:
            self.log.error("request has data type %d but this container accepts %d",
                           request.data_type, self.data_type)
            return []
        try:
            outputs = self.model.predict(request.inputs)
        except Exception:
            self.log.exception("predict failed on a batch of %d inputs", count)
            return []
        if (not isinstance(outputs, (list, tuple)) or len(outputs) != count
                or not all(isinstance(out, str) for out in outputs)):
            self.log.error("predict must return a list of %d str for a batch of %d inputs, "
                           "got %.200r", count, count, outputs)
            return []
        return list(outputs)
