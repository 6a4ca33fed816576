"""Built-in adapters, one module per publisher."""
