"""The rendered reports in a real browser (headless Debian Chromium, network off) and their PDFs.

Opens one region in Indonesian, one in English, the cross-region summary and the index page at a
390 px phone width and checks that nothing leaves the file, nothing logs an error, the language
and title are right and no table is clipped; then reads the PDFs with poppler (pdfinfo, pdftotext).
Chromium is driven over the DevTools protocol (websocket-client). Select with ``-m browser``.

Each page is saved as a full-length phone screenshot, and each PDF's cover and first contents
page as PNGs (pdftoppm), into ``$ASN_EVAL_SCREENSHOTS`` when set (CI keeps them), else into
pytest's temporary folder: what a reviewer looks at before calling the report readable.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from helpers.present.text import Text
from helpers.render import runner as render
from helpers.render.index import write_index

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
PHONE_WIDTH = 390


def _chromium() -> str:
    for name in CHROMIUM:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Chromium is needed for the browser tests: apt-get install chromium (Debian) — CI installs it")


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        pytest.fail(f"{tool} is needed to read the PDFs: apt-get install poppler-utils")
    return path


class Browser:
    """A headless Chromium with one page, spoken to over the DevTools protocol."""

    def __init__(self):
        try:
            import websocket
        except ImportError:
            pytest.fail("websocket-client is needed for the browser tests: pip install websocket-client")
        self.profile = tempfile.mkdtemp(prefix="asn-chromium-")
        self.proc = subprocess.Popen(
            [
                _chromium(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--allow-file-access-from-files",
                "--host-resolver-rules=MAP * ~NOTFOUND",  # the network is off for the page
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if m := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line):
                port = int(m.group(1))
        assert port, "Chromium did not open its DevTools port"
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        target = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Network.emulateNetworkConditions", offline=True, latency=0, downloadThroughput=0, uploadThroughput=0)
        self.call("Emulation.setDeviceMetricsOverride", width=PHONE_WIDTH, height=844, deviceScaleFactor=2, mobile=True)

    def call(self, method: str, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == ident:
                assert "error" not in msg, (method, msg["error"])
                return msg.get("result", {})
            self.events.append(msg)

    def open(self, path: Path) -> dict:
        """Load a file; return what the page requested, logged and measured."""
        self.events.clear()
        self.call("Page.navigate", url=path.resolve().as_uri())
        deadline = time.monotonic() + 30
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            assert time.monotonic() < deadline, f"{path.name} did not load"
            self.events.append(json.loads(self.ws.recv()))
        time.sleep(0.3)  # let the load handlers (the overflow hint) run
        measured = self.call("Runtime.evaluate", expression=MEASURE, returnByValue=True)["result"]["value"]
        requests = [
            e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"
        ]
        errors = [e["params"] for e in self.events if e.get("method") == "Runtime.exceptionThrown"]
        errors += [
            e["params"]["args"]
            for e in self.events
            if e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert")
        ]
        errors += [
            e["params"]["entry"]
            for e in self.events
            if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
        ]
        return {"requests": requests, "errors": errors, **measured}

    def screenshot(self, path: Path) -> Path:
        """The whole page as the phone shows it (full length), as a PNG."""
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.kill()
            self.proc.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


# What a reader on a 390 px phone would meet: elements wider than the screen (outside the scroll
# containers), and for each table whether it fits or scrolls in a container that shows its cue.
MEASURE = """(() => {
  const vw = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.parentElement && el.parentElement.closest('.asn-scroll')) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 1 || r.left < -1)) wide.push(el.tagName + '.' + el.className);
  }
  const tables = [...document.querySelectorAll('table')].map((t, i) => {
    const box = t.closest('.asn-scroll');
    const overflows = box ? box.scrollWidth > box.clientWidth + 1 : t.getBoundingClientRect().width > vw;
    const hint = box && box.parentElement.querySelector('.asn-scroll-hint');
    return {i, inScroll: !!box, overflows,
            hintShown: !!hint && getComputedStyle(hint).display !== 'none',
            scrollable: !!box && getComputedStyle(box).overflowX === 'auto'};
  });
  const images = [...document.images].map(img => ({alt: img.alt, loaded: img.complete && img.naturalWidth > 0,
    shown: img.getBoundingClientRect().width, natural: img.naturalWidth}));
  return {lang: document.documentElement.lang, title: document.title, vw,
          docWidth: document.documentElement.scrollWidth, wide, tables, images};
})()"""


@pytest.fixture(scope="module")
def rendered(ingested, use_root):
    """One region in Indonesian, one in English, the summary and the index, rendered for real.

    Plaju (id) as in test_render_e2e, which shares the session's project root: its summary test
    expects Plaju to be the only Indonesian region rendered."""
    outcomes = {
        "id": render.render_region("sample", "plaju", "id"),
        "en": render.render_region("sample", "sawahlunto", "en"),
    }
    outcomes["summary"] = render.render_summary("sample", "id")
    for key, out in outcomes.items():
        assert out.ok, (key, out.error)
    from helpers.store import load_processed

    ds = load_processed("sample")
    return {**outcomes, "index": write_index(ds, "id"), "dataset": ds}


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where the screenshots go: $ASN_EVAL_SCREENSHOTS, else a temporary folder."""
    folder = Path(os.environ.get("ASN_EVAL_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _is_png(path: Path, min_bytes: int = 10_000) -> bool:
    data = path.read_bytes()
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= min_bytes


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


def _pages(rendered):
    t_id, t_en = Text("id"), Text("en")
    return {
        "id": (rendered["id"].html, "id", t_id("report.title", region="Kecamatan Plaju (Kota Palembang)")),
        "en": (rendered["en"].html, "en", t_en("report.title", region="Kota Sawahlunto")),
        "summary": (rendered["summary"].html, "id", f"{t_id('cross.title')} — sample"),
        "index": (rendered["index"], "id", t_id("index.title", dataset="sample")),
    }


@pytest.mark.parametrize("which", ["id", "en", "summary", "index"])
def test_page_is_self_contained_and_readable_on_a_phone(rendered, browser, shots, which):
    path, lang, title = _pages(rendered)[which]
    seen = browser.open(path)
    assert _is_png(browser.screenshot(shots / f"phone-{which}.png"))
    assert all(img["loaded"] for img in seen["images"]), [i["alt"] for i in seen["images"] if not i["loaded"]]
    if which in ("id", "en"):
        assert len(seen["images"]) >= 5
        # Figures keep >= 70% of their drawn size (9 pt text stays ~9 px), scrolling sideways instead.
        for img in seen["images"]:
            assert img["shown"] >= 0.7 * min(img["natural"], 800), img
    outside = [u for u in seen["requests"] if not u.startswith(("file:", "data:"))]
    assert not outside, f"{path.name} requested {outside}"
    assert not seen["errors"], seen["errors"]
    assert seen["lang"] == lang
    assert seen["title"] == title
    assert seen["vw"] == PHONE_WIDTH
    assert seen["docWidth"] <= PHONE_WIDTH, f"{path.name} scrolls sideways as a whole: {seen['wide'][:5]}"
    assert not seen["wide"], f"{path.name}: wider than the phone outside a scroll container: {seen['wide'][:5]}"
    for table in seen["tables"]:
        if table["overflows"]:
            assert table["inScroll"] and table["scrollable"] and table["hintShown"], (path.name, table)


def test_report_page_has_no_external_resource_and_alt_text_for_every_figure(rendered):
    page = rendered["id"].html.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", page)
    assert "mathjax" not in page.lower() and "require.js" not in page
    images = re.findall(r"<img\b[^>]*>", page)
    assert len(images) >= 5
    for img in images:
        alt = re.search(r"alt=\"([^\"]*)\"", img)
        assert alt and alt.group(1) and "No description" not in alt.group(1), img[:200]


def _pdf_text(path: Path, layout: bool = True) -> list[str]:
    """The text of each page; ``layout=False`` keeps each table cell's lines together (reading order)."""
    args = [_poppler("pdftotext"), *(["-layout"] if layout else []), str(path), "-"]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return out.stdout.split("\f")[:-1]  # one string per page


def _pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run([_poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


@pytest.mark.parametrize("which", ["id", "en", "summary"])
def test_pdf_is_a4_numbered_headed_and_marked_synthetic_on_every_page(rendered, which):
    pdf = rendered[which].pdf
    assert pdf.is_file() and pdf.with_suffix(".html").is_file()
    info = _pdf_info(pdf)
    assert "(A4)" in info["Page size"], info["Page size"]
    pages = int(info["Pages"])
    assert pages > 1
    lang = "en" if which == "en" else "id"
    notice = Text(lang)("render.synthetic_notice")
    title = _pages(rendered)[which][2]
    texts = _pdf_text(pdf)
    assert len(texts) == pages
    for number, text in enumerate(texts, start=1):
        flat = " ".join(text.split())
        assert re.search(rf"(?<!\d){number} ?/ ?{pages}(?!\d)", flat), f"page {number}: no page number"
        assert title in flat, f"page {number}: no running header"
        assert notice in flat, f"page {number}: no synthetic-data notice"


def test_pdf_has_cover_and_contents_with_page_numbers(rendered, shots):
    pdf = rendered["id"].pdf
    for first, name in ((1, "print-cover"), (2, "print-contents"), (6, "print-page")):
        out = shots / name
        subprocess.run(
            [_poppler("pdftoppm"), "-png", "-r", "60", "-f", str(first), "-l", str(first), "-singlefile", pdf, out],
            check=True,
        )
        assert _is_png(out.with_suffix(".png"), 5_000)
    texts = _pdf_text(pdf)
    t = Text("id")
    assert "Kecamatan Plaju" in texts[0] and t("render.cover.rendered") in texts[0]
    contents = " ".join(texts[1].split())
    assert t("render.contents") in contents
    for key in ("summary.title", "learning.title", "methods.title"):
        assert re.search(re.escape(t(key)) + r"\s*\.+\s*\d+", contents), key


def _widest_table_last_header(page: str) -> str:
    tables = re.findall(r"<table\b.*?</table>", page, re.S)
    headers = [re.findall(r"<th[^>]*>(.*?)</th>", tab, re.S) for tab in tables]
    widest = max(headers, key=len)
    return html.unescape(re.sub(r"<[^>]+>", "", widest[-1])).strip()


@pytest.mark.parametrize("which", ["id", "en"])
def test_pdf_does_not_cut_the_widest_table(rendered, which):
    out = rendered[which]
    last = _widest_table_last_header(out.html.read_text(encoding="utf-8"))
    assert last
    # Words may wrap inside a narrow column, never vanish: compare without whitespace or hyphens.
    flat = re.sub(r"[\s\u00ad\u2010-]", "", "".join(_pdf_text(out.pdf, layout=False)))
    assert re.sub(r"[\s-]", "", last) in flat, last
