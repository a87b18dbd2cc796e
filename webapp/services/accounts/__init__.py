"""Users and shops: signing in, encrypted secrets, tenant scoping, support impersonation."""
