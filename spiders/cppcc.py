"""Spider for the CPPCC National Committee's English site (en.cppcc.gov.cn and its mirrors)."""

from __future__ import annotations

from cppcc_watch.sites import cppcc

from .base import NewsSpider


class CppccSpider(NewsSpider):
    """Walks the CPPCC news sections and stores their articles under en.cppcc.gov.cn URLs."""

    name = "cppcc"
    site = cppcc
