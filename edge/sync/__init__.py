"""Replication: the outbox, the batch protocol, SLAVE->MASTER and MASTER->central pushes."""
