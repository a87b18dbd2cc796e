"""What happened and who did it: the audit trail (the integration log lives in models.ApiCall)."""
