"""Business logic shared by views, the worker and the CLI. Views stay thin."""
