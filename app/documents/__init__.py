"""Pure document code: Excel and PDF readers and writers, plain data in, bytes out, and back."""
