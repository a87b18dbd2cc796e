"""The steps after activation: import existing invoices and issue a test invoice."""
