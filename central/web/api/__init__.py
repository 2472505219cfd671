"""Central's JSON API under /api/v1."""
