"""Pure functions that decide the numbers: no I/O, no database, no Dash."""
