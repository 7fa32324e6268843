"""Clipper's own admin library, clipper_admin 0.4.1, drives a real `cutter serve`.

Every ClipperConnection call that talks HTTP is exercised against Cutter's management API, with a
real model container serving the linked model. Run by scripts/test.sh in its own venv.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import requests
from clipper_admin import ClipperConnection, ClipperException
from clipper_admin.container_manager import ContainerManager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalManager(ContainerManager):
    """Points clipper_admin at a running Cutter; containers are started by the test, not Docker."""

    def __init__(self, query_port, admin_port, token=None):
        self.cluster_identifier = "cutter-compat"
        self.query_port, self.admin_port = query_port, admin_port
        # With a management token, the admin address carries it as Basic auth's password.
        self.credentials = f"clipper:{token}@" if token else ""

    def start_clipper(self, *args, **kwargs):
        raise NotImplementedError("Cutter is started by the test")

    def connect(self):
        pass

    def deploy_model(self, name, version, input_type, image, num_replicas=1):
        pass

    def get_num_replicas(self, name, version):
        return 1

    def set_num_replicas(self, name, version, input_type, image, num_replicas):
        pass

    def get_logs(self, logging_dir):
        return []

    def stop_models(self, models):
        pass

    def stop_all_model_containers(self):
        pass

    def stop_all(self, graceful=True):
        pass

    def get_admin_addr(self):
        return f"{self.credentials}127.0.0.1:{self.admin_port}"

    def get_query_addr(self):
        return f"127.0.0.1:{self.query_port}"

    def get_metric_addr(self):
        return f"127.0.0.1:{self.query_port}"


def start_cutter(*settings):
    ports = {name: free_port() for name in ("query", "admin", "rpc", "redis")}
    data = tempfile.mkdtemp(prefix="cutter-compat-")
    server = subprocess.Popen(
        [os.path.join(ROOT, ".build", "debug", "cutter"), "serve", "--query-port", str(ports["query"]),
         "--management-port", str(ports["admin"]), "--rpc-port", str(ports["rpc"]),
         "--embedded-redis-port", str(ports["redis"]), "--redis-data-dir", os.path.join(data, "redis")]
        + [argument for setting in settings for argument in ("--set", setting)],
        stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{ports['query']}/readyz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    return server, ports, data


def stop_cutter(server, data):
    server.terminate()
    server.wait(timeout=20)
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def cutter():
    server, ports, data = start_cutter()
    yield ports
    stop_cutter(server, data)


@pytest.fixture
def cutter_with_token():
    server, ports, data = start_cutter("management_token=compat-token")
    yield ports
    stop_cutter(server, data)


def start_container(port, name, version):
    container = subprocess.Popen(
        [sys.executable, "-m", "cutter_container", "--model", "sum", "--name", name, "--version", version,
         "--port", str(port)], stderr=subprocess.PIPE, text=True)
    while "connected to" not in container.stderr.readline():
        assert container.poll() is None, "the container exited"
    return container


def test_clipper_admin_drives_cutter(cutter):
    conn = ClipperConnection(LocalManager(cutter["query"], cutter["admin"]))
    conn.connect()

    conn.register_application("sum-app", "doubles", "-1.0", 100000)
    with pytest.raises(ClipperException, match="already exists"):
        conn.register_application("sum-app", "doubles", "-1.0", 100000)
    assert conn.get_all_apps() == ["sum-app"]
    info = conn.get_app_info("sum-app")
    assert info["input_type"] == "doubles" and info["latency_slo_micros"] == 100000
    assert conn.get_app_info("missing") is None

    conn.register_model("sum", "1", "doubles")
    conn.deploy_model("sum", "2", "doubles", "an-image")  # the no-op manager, then register_model
    with pytest.raises(ClipperException, match="No model with name 'nope'"):
        conn.link_model_to_app("sum-app", "nope")
    assert conn.get_current_model_version("sum") == "2"
    conn.set_model_version("sum", "1")
    assert conn.get_current_model_version("sum") == "1"
    conn.link_model_to_app("sum-app", "sum")
    assert conn.get_linked_models("sum-app") == ["sum"]
    assert sorted(conn.get_all_models()) == ["sum:1", "sum:2"]
    assert conn.get_model_info("sum", "1")["is_current_version"] is True

    container = start_container(cutter["rpc"], "sum", "1")
    try:
        # The container says "connected" once the handshake is done; its record follows a moment later.
        deadline = time.time() + 10
        while conn.get_all_model_replicas() != ["sum:1:0"] and time.time() < deadline:
            time.sleep(0.05)
        assert conn.get_all_model_replicas() == ["sum:1:0"]
        assert conn.get_model_replica_info("sum", "1", 0)["model_id"] == "sum:1"
        reply = requests.post(f"http://127.0.0.1:{cutter['query']}/sum-app/predict", json={"input": [1.0, 2.0, 3.0]}).json()
        assert reply == {"query_id": 0, "output": 6.0, "default": False}
        # inspect_instance gets Clipper's JSON metrics; a Prometheus scrape keeps the text format.
        metrics = conn.inspect_instance()
        counters = {name: value for entry in metrics["counters"] for name, value in entry.items()}
        assert counters["app:sum-app:num_predictions"] == {"count": "1"}
        histograms = {name: value for entry in metrics["histograms"] for name, value in entry.items()}
        assert histograms["app:sum-app:prediction_latency"]["unit"] == "microseconds"
        assert float(histograms["app:sum-app:prediction_latency"]["p99"]) > 0
        assert histograms["model:sum:1:batch_size"]["size"] == "1"
        assert {"ratio_counters", "meters"} <= set(metrics)
        scrape = requests.get(f"http://127.0.0.1:{cutter['query']}/metrics", headers={"Accept": "text/plain;version=0.0.4"})
        assert scrape.headers["Content-Type"].startswith("text/plain") and "# HELP" in scrape.text
    finally:
        container.terminate()
        container.wait(timeout=10)

    conn.unlink_model_from_app("sum-app", "sum")
    assert conn.get_linked_models("sum-app") == []
    conn.stop_versioned_models({"sum": ["2"]})
    conn.stop_models(["sum"])
    assert conn.get_all_models() == []
    conn.unregister_application("sum-app")
    assert conn.get_all_apps() == []


def test_clipper_admin_with_the_management_token_in_its_address(cutter_with_token):
    ports = cutter_with_token
    conn = ClipperConnection(LocalManager(ports["query"], ports["admin"], token="compat-token"))
    conn.connect()
    conn.register_application("guarded", "doubles", "-1.0", 100000)
    assert conn.get_all_apps() == ["guarded"]
    # Without the token, or with another, the same call is refused.
    url = f"http://127.0.0.1:{ports['admin']}/admin/get_all_applications"
    assert requests.post(url, json={"verbose": False}).status_code == 401
    assert requests.post(url, json={"verbose": False}, auth=("clipper", "other")).status_code == 401
    wrong = ClipperConnection(LocalManager(ports["query"], ports["admin"], token="other"))
    wrong.connect()
    with pytest.raises(ClipperException):
        wrong.register_application("intruder", "doubles", "-1.0", 100000)
    assert conn.get_all_apps() == ["guarded"]
