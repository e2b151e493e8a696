"""What the customer reads: templates per language and tone, the guarded rewriter, recommendations."""
