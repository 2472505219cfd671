"""The box as an appliance: what its first boot does as root (docs/image.md).

``bootconfig`` reads ``chronoedge.txt`` from the SD card's boot partition,
``firstboot`` runs the steps once (grow the data partition, give the box its
identity, apply the operator's settings, show the setup PIN), each step in a
module named for what it changes.
"""
