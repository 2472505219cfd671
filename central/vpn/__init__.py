"""Central's WireGuard hub: one peer per enrolled box, kept in step with the database."""
