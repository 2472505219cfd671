"""The chaos campaign of issue 22: a seeded storm of faults over a real event network.

``rig.py`` brings the network up (central in ``hq``, boxes ``start``, ``km5``,
``finish``), ``faults.py`` draws and injects the faults, ``truth.py`` checks the
invariants against the emulators' ground truth, ``campaign.py`` runs it all and
prints the table (``make chaos SEED=... MINUTES=...``; docs/chaos.md).
"""
