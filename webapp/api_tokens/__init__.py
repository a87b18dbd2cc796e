"""Settings -> API tokens: the shop owner creates and revokes the tokens the platform uses to
call the JSON API."""
