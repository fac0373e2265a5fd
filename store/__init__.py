"""The read model and the audit log: SQLModel tables, the projection that fills them, the queries
operations run on them, the hash-chained audit log, and the archive of case histories."""
