"""Backups of boxes: compressed SQLite snapshots uploaded in resumable chunks."""
