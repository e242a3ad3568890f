"""The warehouse: schema, engine, migrations and the read queries every page and export uses.

Nothing outside this package writes SQL (the ETL's loader writes rows through the models here).
"""
