"""State changes made from the public site: one module per action family."""
