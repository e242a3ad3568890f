"""One configuration for every chart: the plotly mode bar with only "download as PNG".

Every page's charts download as an image the same way (the button at the chart's top right), named
after the chart, at twice screen resolution for slides; zoom, pan and the plotly logo stay out.
"""

from __future__ import annotations

import re
from typing import Any


def graph_config(filename: str, **extra: Any) -> dict[str, Any]:
    """``dcc.Graph(config=...)`` for a chart saved as ``<filename>.png``; ``extra`` adds plotly options."""
    safe = re.sub(r"[^a-z0-9]+", "-", filename.lower()).strip("-") or "chart"
    return {
        "displayModeBar": True,
        "displaylogo": False,
        "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {"format": "png", "filename": safe, "scale": 2},
        "responsive": True,
        **extra,
    }
