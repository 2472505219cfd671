"""ChronoEdge central server: fleet, replication target, live results (docs/architecture.md)."""
