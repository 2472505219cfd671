"""Central's HTTP layer: controllers only declare routes and call services."""
