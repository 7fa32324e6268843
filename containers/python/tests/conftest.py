"""Fixtures the SDK's test files share."""

import threading

import pytest

from cutter_container import run


@pytest.fixture
def start_container():
    """Runs containers in threads; stops them (and checks they stop) afterwards.

    ``start(model, port)`` serves the frontend at ``port``; ``start(model, redis=ADDRESS)``
    every frontend of that Redis's registry.
    """
    running = []

    def start(model, port=None, input_type="doubles", **options):
        options.setdefault("heartbeat_interval", 0.2)
        stop = threading.Event()
        thread = threading.Thread(target=run, daemon=True, kwargs=dict(
            model=model, name="m", version="1", input_type=input_type,
            port=port, stop_event=stop, **options))
        thread.start()
        running.append((stop, thread))

    yield start
    for stop, thread in running:
        stop.set()
        thread.join(5)
        assert not thread.is_alive()
