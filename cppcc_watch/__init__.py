"""cppcc-watch: crawl CPPCC and China Daily news, extract places, organizations and themes, and
store them in SQL for analysts."""

__version__ = "0.1.0"
