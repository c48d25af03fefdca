"""Where each rendered file goes, per language, so that languages never overwrite each other.

Bahasa Indonesia (the default) keeps the plain names; another language adds its code before
the extension::

    reports/<dataset>/<region>.html   .pdf   .xlsx   .metrics.json   .ipynb   (id)
    reports/<dataset>/<region>.en.html .en.pdf .en.xlsx .en.metrics.json .en.ipynb
    reports/<dataset>/summary.html  summary.pdf  summary.ipynb   / summary.en.*
    reports/<dataset>/index.html    / index.en.html
    reports/<dataset>/failed/<stem>.ipynb   (an executed notebook that failed)
"""

from __future__ import annotations

DEFAULT_LANG = "id"


def stem(name: str, lang: str = DEFAULT_LANG) -> str:
    """``plaju`` (id) or ``plaju.en``: the file name of a region, ``summary`` or ``index`` without extension."""
    return name if lang == DEFAULT_LANG else f"{name}.{lang}"


def file_name(name: str, ext: str, lang: str = DEFAULT_LANG) -> str:
    """``file_name("plaju", "metrics.json", "en")`` -> ``plaju.en.metrics.json``."""
    return f"{stem(name, lang)}.{ext}"
