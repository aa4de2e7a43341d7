"""marshmallow schemas, named for what they carry. Inputs reject unknown fields."""
