"""Orders, the Fynode side: validating what the platform or the merchant sends (`validation`),
creating and updating orders (`intake`), recording what happens to them (`events`), reading them
for the pages and the API (`queries`, `totals`), and the shop's API tokens (`tokens`)."""
