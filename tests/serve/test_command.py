"""`attnkit serve`: bad arguments refused with one clear line before anything serves; good
ones give an app on the address asked for (localhost by default), uvicorn itself stubbed."""

import gc
import os
import socket

import pytest

import attnkit.serve.command as command
from attnkit.cli import main

from .served_models import topic_run


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def refused(arguments, capsys):
    assert main(["serve", *arguments]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
    return error


@pytest.mark.parametrize(("arguments", "message"), [
    (["--port", "0"], "--port must be a number from 1 to 65535, got '0'"),
    (["--port", "70000"], "--port must be a number from 1 to 65535, got '70000'"),
    (["--port", "http"], "--port must be a number from 1 to 65535, got 'http'"),
    (["--hostname", "x"], "unrecognized arguments: --hostname"),
])
def test_bad_options_are_refused(arguments, message, capsys):
    assert message in refused(arguments, capsys)


def test_bad_models_are_refused_with_their_reason(tmp_path, capsys):
    port = ["--port", str(free_port())]
    error = refused(["no-such-run", *port], capsys)
    assert ("checkpoint not found: no-such-run (shipped models: molecules, dates, imdb, "
            "molecules_mix, imdb_transformer, multi30k)") in error
    (tmp_path / "notes.safetensors").write_text("not a checkpoint")
    assert "is not a readable attnkit checkpoint" in refused(
        [str(tmp_path / "notes.safetensors"), *port], capsys)
    assert "two models would be named 'dates'; name them apart with NAME=RUN" in refused(
        ["dates", "dates", *port], capsys)
    assert "a model name is letters, digits" in refused(["my model=dates", *port], capsys)
    from ..test_hostile_input import crafted, set_meta

    hostile = crafted(tmp_path, "tokenizer", "classify", set_meta("tokenizer", "colour", value=1))
    assert "tokenizer.safetensors: the tokenizer settings have an unknown key 'colour'" in \
        refused([str(hostile), *port], capsys)  # in one line, before anything serves


def test_a_busy_port_is_refused_before_any_model_loads(capsys, monkeypatch):
    monkeypatch.setattr("attnkit.serve.served.load_served", lambda arguments: pytest.fail())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        error = refused(["dates", "--port", str(port)], capsys)
    assert f"cannot listen on 127.0.0.1 port {port}: Address already in use" in error


def test_connections_to_the_socket_send_without_nagle_delays():
    """asyncio sets TCP_NODELAY on the connections of a socket made with its protocol named;
    without it every kept-alive request waited ~40 ms for a delayed acknowledgement."""
    import asyncio

    listening = command.bind("127.0.0.1", 0)
    seen = []

    async def connection(reader, writer):
        seen.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP,
                                                               socket.TCP_NODELAY))
        writer.close()

    async def connect_once():
        server = await asyncio.start_server(connection, sock=listening)
        async with server:
            _, writer = await asyncio.open_connection(*listening.getsockname())
            while not seen:
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(connect_once())
    assert len(seen) == 1 and seen[0] > 0


class StubServer:
    """Stands in for uvicorn: records the app and the socket it was asked to serve on."""

    served = []

    def __init__(self, app):
        self.app = app

    def run(self, sockets):
        self.served.append((self.app, sockets[0].getsockname()))
        self.frozen.append(gc.get_freeze_count())

    frozen = []


def test_serve_binds_localhost_and_serves_the_models_named(capsys, monkeypatch):
    monkeypatch.setattr(command, "uvicorn_server", lambda app, access_log: StubServer(app))
    port = free_port()
    assert main(["serve", "dates", f"reviews={topic_run()}", "--port", str(port)]) == 0
    assert f"serving dates, reviews at http://127.0.0.1:{port}/" in capsys.readouterr().out
    assert main(["serve", "--port", str(port)]) == 0  # no argument: the shipped models
    (first, address), (second, _) = StubServer.served[-2:]
    assert address == ("127.0.0.1", port)
    assert {"/api/{model}/predict", "/healthz", "/api/models"} <= set(first.openapi()["paths"])
    from fastapi.testclient import TestClient

    local = f"http://127.0.0.1:{port}"
    with TestClient(second, base_url=local) as client:
        # each shipped file once: molecules_mix names molecules' file
        assert client.get("/healthz").json()["models"] == ["molecules", "dates", "imdb",
                                                           "imdb_transformer", "multi30k"]
    with TestClient(first, base_url=local) as client:
        assert client.get("/healthz").json()["models"] == ["dates", "reviews"]
        assert client.get("/").status_code == 200  # the page
    # the loaded models were out of the collector's full passes while serving, and are back
    assert StubServer.frozen[-1] > 10_000 and gc.get_freeze_count() == 0


def test_serve_caps_onednn_kernel_cache_unless_the_user_set_it(monkeypatch):
    """A cache of one compiled LSTM kernel per input shape grew a server's memory without
    end in practice; serve caps it, and a user's own setting wins."""
    monkeypatch.setattr(command, "uvicorn_server", lambda app, access_log: StubServer(app))
    monkeypatch.delenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", raising=False)
    assert main(["serve", "dates", "--port", str(free_port())]) == 0
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "16"
    monkeypatch.setenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "300")
    assert main(["serve", "dates", "--port", str(free_port())]) == 0
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "300"


def test_the_help_says_where_it_listens(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "default 127.0.0.1: this computer only" in " ".join(capsys.readouterr().out.split())


def test_models_are_named_after_their_run_or_as_asked(tmp_path):
    from attnkit.serve.served import split_argument

    run = tmp_path / "imdb 2024"
    run.mkdir()
    (run / "best.safetensors").write_bytes(b"")
    (run / "small.safetensors").write_bytes(b"")
    assert split_argument("dates") == ("dates", "dates")
    assert split_argument(str(run)) == ("imdb-2024", str(run))
    assert split_argument(str(run / "best.safetensors"))[0] == "imdb-2024"
    assert split_argument(str(run / "small.safetensors"))[0] == "small"
    assert split_argument(f"reviews={run}") == ("reviews", str(run))


def test_listening_beyond_this_computer_without_a_token_warns_loudly(capsys, monkeypatch):
    served = []
    monkeypatch.setattr(command, "uvicorn_server",
                        lambda app, access_log: served.append(app) or StubServer(app))
    monkeypatch.delenv("ATTNKIT_TOKEN", raising=False)
    assert main(["serve", "dates", "--host", "0.0.0.0", "--port", str(free_port())]) == 0
    err = capsys.readouterr().err
    assert "WARNING: --host 0.0.0.0 without a token: anyone who can reach this computer" in err
    assert main(["serve", "dates", "--host", "0.0.0.0", "--port", str(free_port()),
                 "--token", "s3cret", "--allow-host", "models.lan"]) == 0
    assert "WARNING" not in capsys.readouterr().err
    monkeypatch.setenv("ATTNKIT_TOKEN", "from-the-environment")
    assert main(["serve", "dates", "--port", str(free_port())]) == 0
    first, second, third = (app.user_middleware for app in served)
    tokens = [next(m.kwargs["access"] for m in middleware if "access" in m.kwargs)
              for middleware in (first, second, third)]
    assert [access.token for access in tokens] == [None, "s3cret", "from-the-environment"]
    assert "models.lan" in tokens[1].hosts and "models.lan" not in tokens[0].hosts
    assert tokens[2].hosts == {"localhost", "127.0.0.1", "::1"}


@pytest.mark.parametrize(("arguments", "message"), [
    (["--token", " "], "the token is empty"),
    (["--allow-host", "evil.example/x"], "--allow-host 'evil.example/x': expected a host name"),
])
def test_bad_access_options_are_refused(arguments, message, capsys):
    assert message in refused(["dates", "--port", str(free_port()), *arguments], capsys)
