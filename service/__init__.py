"""Views of the warehouse that every surface shares: a warehouse query plus an analysis function.

Pages, the API, snapshots and exports call these, never the queries and analysis separately, so
they cannot disagree. Results are cached per data version (the newest load batch), so a new load
is visible at once and repeated views cost a dictionary lookup.
"""
