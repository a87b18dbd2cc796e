"""Orders, the merchant's pages: the list with filters, one order with its timeline and
documents, a test order, and the actions (status, payment, shipment, refund, cancellation)."""
