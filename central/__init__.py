"""ChronoEdge central server: fleet, replication target, live results (see DESIGN.md)."""
