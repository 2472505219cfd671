"""Pure timing functions: passings in, results out. No database, no web."""
