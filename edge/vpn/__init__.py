"""WireGuard on the box, through the ``wg`` and ``wg-quick`` tools (never a shell)."""
