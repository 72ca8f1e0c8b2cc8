"""The JSON API, in Hugging Face's shapes, and its OpenAPI description and docs."""
