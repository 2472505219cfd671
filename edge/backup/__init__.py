"""Backups of the box's database: online snapshots, compressed, uploaded to central."""
