"""Clocks the operator can trust: chrony's state, a SLAVE's offset to its MASTER, alarms."""
