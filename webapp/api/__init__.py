"""The JSON API the platform uses to tell us about orders (ORDER_API.md), authenticated by the
shop's API token; its OpenAPI 3 description is `openapi.json` beside this file."""
