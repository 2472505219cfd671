"""Central use cases: users, enrollment and devices, replication, backups."""
