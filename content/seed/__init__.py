"""Reference data files and the code that loads them."""
