"""``whistle validate`` as a designer runs it: located problems, no traceback, nothing read or fetched."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from engine.bpmn_xml import MAX_BPMN_BYTES
from tests.support import FIXTURES, PROCESSES, WHISTLE_PACK

CORPUS = FIXTURES / "bpmn"
SECRET = "WHISTLE-CLI-SENTINEL-51d0e2-do-not-leak"
FORMS_WITH_PROBLEMS = ("broken/forms/broken_json.json", "broken/forms/broken_schema.json")


def _whistle() -> str:
    """The installed console script (web.cli has no ``__main__``)."""
    found = shutil.which("whistle") or str(Path(sys.executable).with_name("whistle"))
    assert Path(found).is_file(), "the whistle console script is not installed"
    return found


class _Trap(ThreadingHTTPServer):
    """A local HTTP server that records every connection made to it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.hits: list[Any] = []

    def finish_request(self, request: Any, client_address: Any) -> None:
        self.hits.append(client_address)
        super().finish_request(request, client_address)


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"<leak>{SECRET}</leak>".encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def trap() -> Iterator[_Trap]:
    """A listening HTTP trap on a random local port."""
    server = _Trap()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def run_validate(*paths: Path | str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``whistle validate PATHS`` in a clean environment (scripts not allowed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHISTLE_")}
    env["WHISTLE_INSTANCE_PATH"] = str(cwd / "instance")
    return subprocess.run([_whistle(), "validate", *map(str, paths)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


def copy_corpus(root: Path, secret: Path, url: str) -> list[Path]:
    """Copy hostile/ and broken/ under ``root`` with placeholders filled in; add a huge file; return the files."""
    for folder in ("hostile", "broken"):
        shutil.copytree(CORPUS / folder, root / folder)
        for path in (root / folder).glob("*.bpmn"):
            raw = path.read_bytes()
            encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
            text = raw.decode(encoding).replace("@SECRET_PATH@", str(secret)).replace("@HTTP_URL@", url)
            path.write_bytes(text.encode(encoding))
    huge = root / "hostile" / "huge.bpmn"
    with huge.open("wb") as out:
        out.write(b'<?xml version="1.0"?>\n<bpmn:definitions><!-- ')
        out.write(b"x" * MAX_BPMN_BYTES)
        out.write(b" -->\n</bpmn:definitions>\n")
    (root / "broken" / "folder.bpmn").mkdir()  # a folder that looks like a BPMN file
    return sorted(root.glob("*/*.bpmn")) + [root / name for name in FORMS_WITH_PROBLEMS]


def test_validate_reports_every_corpus_file_located_without_reading_anything(tmp_path: Path, trap: _Trap) -> None:
    """Exit 1, one ``path:line: element: message`` line per problem, every file listed, no leak, no fetch."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    url = f"http://127.0.0.1:{trap.server_address[1]}"
    files = copy_corpus(tmp_path / "corpus", secret, url)
    done = run_validate(tmp_path / "corpus" / "hostile", tmp_path / "corpus" / "broken", cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output
    assert SECRET not in output
    assert trap.hits == []
    lines = done.stdout.splitlines()
    located = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<element>[^ :]+): (?P<message>\S.*)$")
    assert all(located.match(line) for line in lines), [line for line in lines if not located.match(line)]
    by_file = {Path(m["path"]) for m in map(located.match, lines) if m}
    assert [f for f in files if f not in by_file] == []
    assert by_file <= set(files)
    assert re.search(r"/hostile/xxe_file\.bpmn:3: -: DTDs and entity declarations are not allowed$", done.stdout,
                     re.MULTILINE)
    assert re.search(r"/hostile/expr_power\.bpmn:27: Flow_yes: conditionExpression 10\*\*10\*\*10 > 1 refused: "
                     r"the power is too large$", done.stdout, re.MULTILINE)
    assert re.search(r"/hostile/huge\.bpmn:0: -: file is larger than 5 MB$", done.stdout, re.MULTILINE)
    assert re.search(r"/broken/folder\.bpmn:0: -: cannot read: ", done.stdout, re.MULTILINE)
    assert re.search(r"^\d+ problem\(s\)$", done.stderr, re.MULTILINE)
    assert not (tmp_path / "instance").exists(), "validate must not create a database"


def test_validate_processes_and_valid_fixtures_exit_zero(tmp_path: Path) -> None:
    """The shipped processes and the valid fixture (bare ISO timer literal) pass: exit 0, only ok lines."""
    done = run_validate(PROCESSES, CORPUS / "valid", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert f"{WHISTLE_PACK / 'whistle.bpmn'}: ok (process whistle)" in lines
    assert f"{CORPUS / 'valid' / 'timer_escalation.bpmn'}: ok (process timer_escalation)" in lines
    assert all(": ok (" in line for line in lines), lines
    assert "Traceback" not in done.stderr


def test_validate_missing_path_and_empty_folder_give_located_messages(tmp_path: Path) -> None:
    """A path that does not exist and a folder without BPMN files are problem lines, not tracebacks."""
    missing = tmp_path / "no-such-folder"
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run_validate(missing, empty, WHISTLE_PACK / "whistle.bpmn", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert f"{missing}:0: -: no such file or folder" in lines
    assert f"{empty}:0: -: no .bpmn files in this folder" in lines
    assert f"{WHISTLE_PACK / 'whistle.bpmn'}: ok (process whistle)" in lines
    assert "2 problem(s)" in done.stderr
