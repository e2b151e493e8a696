"""What a customer message means: intents, emotion, slots, language and the product it names."""
