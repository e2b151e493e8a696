"""The after-sales brain: order store, policy engine, understanding, replies and the dialogue service."""
