"""Pieces shared by several pages: the shell, the filter bar, KPI cards, chart cards, footnotes."""
