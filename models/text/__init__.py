"""Text models: kefu's intent/emotion/slot model, multilingual-e5 sentence vectors and heads, the rewriter LM."""
