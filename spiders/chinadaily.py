"""Spider for China Daily's China sections (www.chinadaily.com.cn)."""

from __future__ import annotations

from cppcc_watch.sites import chinadaily

from .base import NewsSpider


class ChinaDailySpider(NewsSpider):
    """Walks China Daily's national-affairs, society, sci-tech and other China sections."""

    name = "chinadaily"
    site = chinadaily
