"""Entity extraction: provinces, cities, organizations and themes of an article's text."""

from cppcc_watch.extract.facade import extract_entities

__all__ = ["extract_entities"]
