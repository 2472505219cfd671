"""Alarms an operator cannot miss: what is wrong on the box now, per box, reader, point, antenna.

``model`` holds the plain types, ``rules`` the pure functions from a snapshot of the box to
its alarms, ``gather`` the snapshot read from the box's files. The console shows them as a
banner, the worker reports them to central with the box's status (docs/race-day.md, Alarms).
"""
