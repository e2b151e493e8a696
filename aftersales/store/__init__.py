"""The order store: customers, products, orders and conversations in SQL, chat records sealed at rest."""
