"""Pure domain utilities: identity and phone validators, money, document numbers."""
