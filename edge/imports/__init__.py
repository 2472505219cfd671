"""Reading the files organisers bring: event definitions (YAML), entrants and passings (CSV)."""
