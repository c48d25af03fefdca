"""A process of its own for the PDFs of an export thread of ``render_all``.

WeasyPrint lays a page out in pure Python, and ``helpers.render.html.write_pdf`` holds a lock
while it does: in one process, the PDFs of a run are made one after the other, on one core.
``PdfProcess`` keeps one ``python -m helpers.render.pdfworker``, started at its first PDF, and
sends it each page; the process calls the same ``html.write_pdf``, so the PDF is made from exactly
the same HTML. A plain subprocess, not ``multiprocessing``: nothing depends on how the calling
script guards its ``__main__``.

Protocol, over the worker's stdin and stdout: one JSON line ``{"path": ..., "size": n}`` then n
bytes of UTF-8 HTML; the answer is one JSON line ``{"ok": true}`` or ``{"ok": false, "error":
"<type>: <message>"}``. A worker that died is started again for the next PDF; the PDF it was
making fails, and with it that report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path


class PdfProcessError(RuntimeError):
    """The PDF worker process died, or WeasyPrint failed in it (the message says which)."""


class PdfProcess:
    """One PDF worker process; ``render`` may be called from any thread, one page at a time."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def render(self, html_text: str, path: Path) -> Path:
        """Write the PDF of ``html_text`` to ``path`` in the worker process."""
        data = html_text.encode("utf-8")
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            proc = self._proc
            try:
                header = json.dumps({"path": str(path), "size": len(data)}) + "\n"
                proc.stdin.write(header.encode("utf-8") + data)
                proc.stdin.flush()
                line = proc.stdout.readline()
            except OSError:  # a broken pipe: the worker is gone
                line = b""
            if not line:
                code = proc.wait()
                self._proc = None
                raise PdfProcessError(f"the PDF worker process died (exit code {code})")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise PdfProcessError(answer.get("error", "unknown error"))
        return Path(path)

    def close(self) -> None:
        """Let the worker exit (end of its input), then wait for it."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
            proc.stdout.close()

    def _start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "helpers.render.pdfworker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=os.environ.copy(),
        )


def serve(requests, answers) -> None:
    """The worker's loop: read a page, write its PDF, answer; until its input ends."""
    from .html import write_pdf

    while header := requests.readline():
        request = json.loads(header)
        page = requests.read(request["size"]).decode("utf-8")
        try:
            write_pdf(page, Path(request["path"]))
            answer = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - the failure is that report's, told to the parent
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer).encode("utf-8") + b"\n")
        answers.flush()


def main() -> None:
    # The protocol owns the real stdout; anything printed while making a PDF goes to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
