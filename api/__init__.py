"""The HTTP layer of My Border: Flask app, schemas, routes and CLI."""
