"""Command-line parsing of the secret options (no sockets: ``run`` is replaced)."""

import pytest

from cutter_container import cli

BASE = ["--name", "m", "--model", "noop"]


@pytest.fixture
def run_kwargs(monkeypatch):
    """Runs ``cli.main`` with a fake ``run``; returns the keyword arguments it got."""
    monkeypatch.delenv("CUTTER_RPC_SECRET", raising=False)
    monkeypatch.delenv("CUTTER_RPC_SECRET_FILE", raising=False)
    calls = []
    monkeypatch.setattr(cli, "run", lambda *args, **kwargs: calls.append(kwargs))

    def main(*argv):
        assert cli.main([*BASE, *argv]) == 0
        return calls.pop()

    return main


def test_no_secret_by_default(run_kwargs):
    assert run_kwargs()["secret"] is None


def test_secret_option(run_kwargs):
    assert run_kwargs("--secret", "s3cret")["secret"] == "s3cret"


def test_secret_from_environment(run_kwargs, monkeypatch):
    monkeypatch.setenv("CUTTER_RPC_SECRET", "from-env")
    assert run_kwargs()["secret"] == "from-env"
    assert run_kwargs("--secret", "option")["secret"] == "option"  # the option wins
    monkeypatch.setenv("CUTTER_RPC_SECRET", "")
    assert run_kwargs()["secret"] is None  # empty means none, as for rpc_secret


def test_secret_file(run_kwargs, monkeypatch, tmp_path):
    path = tmp_path / "secret"
    path.write_text("first line \nsecond line\n")
    assert run_kwargs("--secret-file", str(path))["secret"] == "first line "
    monkeypatch.setenv("CUTTER_RPC_SECRET_FILE", str(path))
    assert run_kwargs()["secret"] == "first line "
    # An option beats both variables.
    monkeypatch.setenv("CUTTER_RPC_SECRET", "ignored")
    assert run_kwargs("--secret", "option")["secret"] == "option"
    path.write_text("no newline")
    assert run_kwargs("--secret-file", str(path))["secret"] == "no newline"
    path.write_bytes(b"windows\r\nline\r\n")
    assert run_kwargs("--secret-file", str(path))["secret"] == "windows"


@pytest.mark.parametrize("argv,env,message", [
    (["--secret", "a", "--secret-file", "f"], {}, "not allowed with argument"),
    ([], {"CUTTER_RPC_SECRET": "a", "CUTTER_RPC_SECRET_FILE": "f"},
     "only one of CUTTER_RPC_SECRET and CUTTER_RPC_SECRET_FILE"),
    (["--secret-file", "{missing}"], {}, "cannot read the secret file"),
    (["--secret-file", "{empty}"], {}, "is empty"),
    (["--secret", "x" * 256], {}, "at most 255 bytes"),
])
def test_secret_errors(run_kwargs, monkeypatch, tmp_path, capsys, argv, env, message):
    (tmp_path / "empty").write_text("\nsecret on the second line\n")
    paths = dict(missing=str(tmp_path / "missing"), empty=str(tmp_path / "empty"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        run_kwargs(*[arg.format(**paths) for arg in argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
