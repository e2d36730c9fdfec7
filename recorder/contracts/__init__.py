"""Provider contracts: OpenAPI specs loaded, prepared, and checked against recorded traffic."""
