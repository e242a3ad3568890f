"""Extract, validate and load partner, reference and police files into the warehouse.

Each source format is one module in ``etl.sources``; ``etl.loader`` loads any of them the same way:
the whole file in one transaction, or nothing and a report of every problem.
"""
