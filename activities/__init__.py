"""Every side effect of a case: delivering notifications to agencies (more to come)."""
