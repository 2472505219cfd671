"""JSON API under /api/v1: the same operations as the CLI, through the same services."""
