"""End to end: `contracthub tokens create`, then `contracthub serve` in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
# The command line with the serve module loaded (whether or not core.cli imports it yet).
CLI = [sys.executable, "-c",
       "import sys; import core.cli.serve_cmd; from core.cli import main; "
       "sys.argv[0] = 'contracthub'; main()"]
CONFIG = 'store: {url: "sqlite:///hub.db"}\nactor: ops\n'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CONTRACTHUB_CONFIG"}
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=120)


def test_serve_answers_lookups_over_http(tmp_path: Path) -> None:
    (tmp_path / "contracthub.yaml").write_text(CONFIG)
    r = cli(tmp_path, "contracts", "import", str(ROOT / "examples" / "contracts.csv"))
    assert r.returncode == 0, r.stderr
    r = cli(tmp_path, "tokens", "create", "--role", "agent", "--name", "ticket-ui")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    env = {k: v for k, v in os.environ.items() if k != "CONTRACTHUB_CONFIG"}
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", "1"],
                            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not come up in 90 s"
            try:
                proc.wait(timeout=0.2)  # returns at once if the server died
            except subprocess.TimeoutExpired:
                pass
        h = {"Authorization": f"Bearer {token}"}
        ok = httpx.get(f"{base}/v1/entitlements", params={"customer": "Acme Corp"}, headers=h)
        assert ok.status_code == 200, ok.text
        assert ok.json()["customer"] == "Acme Corp" and ok.json()["reasons"]
        denied = httpx.get(f"{base}/v1/entitlements", params={"customer": "Acme Corp"})
        assert denied.status_code == 401 and denied.headers["www-authenticate"]
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "contracthub API"
        r = cli(tmp_path, "tokens", "revoke", "ticket-ui")
        assert r.returncode == 0, r.stderr
        again = httpx.get(f"{base}/v1/entitlements", params={"customer": "Acme Corp"},
                          headers=h)
        assert again.status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    text = (tmp_path / "serve.log").read_text()
    assert '"GET /v1/entitlements?customer=Acme+Corp HTTP/1.1" 200' in text
    assert token not in text and "Traceback" not in text
