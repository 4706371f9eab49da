"""cppcc-watch: crawl CPPCC and China Daily news, extract places, organizations and themes, store them in SQL."""

__version__ = "0.1.0"
