"""Scrapy settings of the project (scrapy.cfg points here) and the CPPCC_WATCH_* settings registry.

Every CPPCC_WATCH_* setting is declared once in `SETTINGS` with its default and help; the
module-level names below are generated from it so that Scrapy sees them, and a test checks
the README's table against it. Override any of them on the command line with `-s NAME=VALUE`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from cppcc_watch import __version__


@dataclass(frozen=True)
class Setting:
    """One documented CPPCC_WATCH_* setting."""

    name: str
    default: Any
    help: str


DEFAULT_DB_URL = "sqlite:///data/cppcc_watch.db"

DEFAULT_SECTIONS: dict[str, list[str]] = {
    "cppcc": [
        "http://en.cppcc.gov.cn/news.html",
        "http://en.cppcc.gov.cn/internationalexchanges.html",
        "http://en.cppcc.gov.cn/surveys.html",
        "http://en.cppcc.gov.cn/vicechairpersons.html",
        "http://en.cppcc.gov.cn/members.html",
    ],
    "chinadaily": [
        "https://www.chinadaily.com.cn/china/governmentandpolicy/page_1.html",
        "https://www.chinadaily.com.cn/china/society/page_1.html",
        "https://www.chinadaily.com.cn/china/scitech/page_1.html",
        "https://www.chinadaily.com.cn/china/coverstory/page_1.html",
        "https://www.chinadaily.com.cn/china/environment/page_1.html",
        "https://www.chinadaily.com.cn/china/59b8d010a3108c54ed7dfc25/page_1.html",
    ],
}

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CPPCC_WATCH_DB",
        os.environ.get("CPPCC_WATCH_DB", DEFAULT_DB_URL),
        "SQLAlchemy URL of the database (default: env CPPCC_WATCH_DB, else "
        "sqlite:///data/cppcc_watch.db under the working directory).",
    ),
    Setting(
        "CPPCC_WATCH_SECTIONS",
        DEFAULT_SECTIONS,
        "Listing pages to walk, as a dict (JSON on the command line): spider name -> list of "
        "first-page URLs. A spider missing from the dict keeps its defaults.",
    ),
    Setting(
        "CPPCC_WATCH_MAX_LISTING_PAGES",
        10,
        "How many pages deep each section's listing is walked at most. Later runs stop earlier: "
        "at the first listing page with no article that is not stored yet.",
    ),
    Setting(
        "CPPCC_WATCH_MAX_ARTICLES",
        0,
        "Stop scheduling new articles after this many per spider and run (0: no limit).",
    ),
    Setting(
        "CPPCC_WATCH_RECHECK_DAYS",
        0,
        "Fetch again the stored articles published within this many days that a visited listing "
        "page links (once per run), so corrections are stored as new versions; they never make "
        "the listing walk go deeper (0: never fetch a stored article again).",
    ),
    Setting(
        "CPPCC_WATCH_MIRROR",
        "",
        "Base URL of a local mirror (http://127.0.0.1:PORT): every request goes there with the "
        "original host in the Host header and the original path; items keep the real URLs.",
    ),
    Setting(
        "CPPCC_WATCH_MIN_FIELD_SHARE",
        0.8,
        "Health check: a run fails when fewer than this share of the articles it parsed have a "
        "title, a date and a body.",
    ),
    Setting(
        "CPPCC_WATCH_HEALTH_RUNS",
        5,
        "Health check: how many previous successful runs of the same spider a run is compared "
        "with (0: no comparison).",
    ),
    Setting(
        "CPPCC_WATCH_HEALTH_DROP",
        0.25,
        "Health check: a run fails when its share of articles with a title, a date or a body, "
        "or its number of new articles (when usually at least 4 over 3+ runs), is below this "
        "share of the median of the previous runs.",
    ),
    Setting(
        "CPPCC_WATCH_RETRY_BACKOFF",
        2.0,
        "Seconds before the first retry of a failed request; each further retry waits twice as "
        "long (RETRY_TIMES retries at most). 0: retry at once.",
    ),
    Setting(
        "CPPCC_WATCH_RETRY_BACKOFF_MAX",
        60.0,
        "Longest wait before a retry, in seconds.",
    ),
    Setting(
        "CPPCC_WATCH_EXTRACT",
        True,
        "Extract provinces, cities, organizations and themes from each article as it is stored.",
    ),
    Setting(
        "CPPCC_WATCH_COMMIT_ARTICLES",
        100,
        "Articles stored per transaction at most: a crawl commits its articles every this many, "
        "or CPPCC_WATCH_COMMIT_SECONDS after the first uncommitted one, whichever comes first "
        "(1: one transaction per article).",
    ),
    Setting(
        "CPPCC_WATCH_COMMIT_SECONDS",
        0.5,
        "Longest time, in seconds, an article stays uncommitted (and other writers of the "
        "database wait) during a crawl (0: only by CPPCC_WATCH_COMMIT_ARTICLES and at the end).",
    ),
    Setting(
        "CPPCC_WATCH_PROGRESS",
        False,
        "Print a progress line to stderr while crawling (cppcc-watch crawl turns it on when "
        "stderr is a terminal).",
    ),
)

for _setting in SETTINGS:
    globals()[_setting.name] = _setting.default

BOT_NAME = "cppcc_watch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = f"cppcc-watch/{__version__} (news-monitoring crawler; polite, obeys robots.txt)"
ROBOTSTXT_OBEY = True

# Politeness: at most 2 requests at a time per domain, adaptive delays on top of a 1 s floor.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# A callback yields at most a listing's links (~20) or one article: Scrapy's default of 100
# concurrent output workers per response is pure overhead here.
CONCURRENT_ITEMS = 16
# Our callbacks are generators without return values; skip Scrapy's per-callback source check.
WARN_ON_GENERATOR_RETURN_VALUE = False
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Faults: every download is bounded in time and size; transient failures (5xx, 408, 429,
# timeouts, dropped connections, truncated bodies) are retried RETRY_TIMES times, backed off
# (CPPCC_WATCH_RETRY_BACKOFF); what still fails is recorded in `rejects` and counted in the run.
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "spiders.middlewares.StrictOffsiteMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.BackoffRetryMiddleware": 550,
}

DOWNLOAD_HANDLERS = {
    "http": "spiders.mirror.MirrorDownloadHandler",
    "https": "spiders.mirror.MirrorDownloadHandler",
}

# The CPPCC_WATCH_* settings, read once per crawl into a typed CrawlConfig (cppcc_watch.config)
# that every component below reads.
ADDONS = {"spiders.config.ConfigAddon": 0}

# Knowledge of the stored articles: which links are worth a request, where a listing walk ends.
SPIDER_MIDDLEWARES = {"spiders.incremental.IncrementalMiddleware": 950}

ITEM_PIPELINES = {
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.extract.ExtractPipeline": 300,
    "pipelines.store.StorePipeline": 800,
}

# The store comes after the run log: it closes the database when the spider closes, once the run
# log has closed the run.
EXTENSIONS = {
    "spiders.run_log.RunLog": 100,
    "spiders.progress.Progress": 200,
    "spiders.storage.StoreExtension": 900,
}

# `scrapy crawl` exits 75, as `cppcc-watch crawl` does, when another crawl holds the spider's lock
COMMANDS_MODULE = "spiders.commands"

TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
