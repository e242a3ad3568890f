"""Figure builders shared by the pages and the PDF board pack: pure ``DataFrame -> go.Figure``."""
