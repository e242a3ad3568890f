"""Home Office reporting: frozen snapshots of a quarter and its exports (XLSX, CSV zip, PDF board pack).

``content`` builds a snapshot's content from the warehouse through the same analysis and query
functions the pages use, with disclosure control applied, and freezes it as canonical JSON.
``snapshots`` stores, approves, lists and compares snapshots. ``export_xlsx``, ``export_csv`` and
``export_pdf`` render a snapshot ONLY from its frozen JSON, never from live tables, so an approved
snapshot's files are reproducible byte for byte. Nothing here imports ``dashboard``.
"""
