"""review: collaborative review of an open-government action plan, kept in git."""

__version__ = "0.1.0"
