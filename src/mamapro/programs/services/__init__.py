"""State changes for programmes: one module per sub-domain, one transaction per action."""
