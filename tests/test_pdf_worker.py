"""The PDF worker process of ``render_all``: the same ``html.write_pdf``, in a process of its own,
replaced when it died, and its failures told to the report that asked."""

from __future__ import annotations

import pytest

from helpers.render.pdfworker import PdfProcess, PdfProcessError

pytestmark = pytest.mark.e2e

PAGE = "<!DOCTYPE html><html lang='id'><head><meta charset='utf-8'><title>t</title></head><body><h1>Uji</h1>"


@pytest.fixture
def worker():
    process = PdfProcess()
    yield process
    process.close()


def test_the_worker_writes_the_pdf_of_a_page(worker, tmp_path):
    path = worker.render(PAGE, tmp_path / "a.pdf")
    assert path.read_bytes().startswith(b"%PDF")


def test_a_failure_in_the_worker_is_that_pdfs_failure_and_the_worker_goes_on(worker, tmp_path):
    with pytest.raises(PdfProcessError, match=r"FileNotFoundError|No such file"):
        worker.render(PAGE, tmp_path / "no such folder" / "a.pdf")
    assert worker.render(PAGE, tmp_path / "b.pdf").is_file()


def test_a_worker_that_died_is_started_again_for_the_next_pdf(worker, tmp_path):
    worker.render(PAGE, tmp_path / "a.pdf")
    first = worker._proc
    first.kill()
    first.wait()
    assert worker.render(PAGE, tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")
    assert worker._proc is not first
