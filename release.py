"""The dashboard's release number: one place, read by pyproject.toml and both commands' ``--version``.

Follows the CHANGELOG; bump it there and here together when a release is tagged.
"""

__version__ = "1.0.0"
