"""Reading a Dash component tree in tests that call a page's body function directly (no browser)."""

from __future__ import annotations

from collections.abc import Iterator

from dash.development.base_component import Component


def walk(node: object) -> Iterator[object]:
    """Every component under ``node``, depth first (strings and None are leaves, not components)."""
    if isinstance(node, list | tuple):
        for child in node:
            yield from walk(child)
    elif isinstance(node, Component):  # a graph or an input has no children, and is still a component
        yield node
        yield from walk(getattr(node, "children", None))


def text_of(node: object) -> str:
    """The text a component tree shows, joined without separators."""
    if isinstance(node, str):
        return node
    if isinstance(node, list | tuple):
        return "".join(text_of(c) for c in node)
    return text_of(getattr(node, "children", "")) if node is not None else ""
