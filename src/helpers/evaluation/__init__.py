"""Pure statistical functions: DataFrame or arrays in, frozen result objects out."""
