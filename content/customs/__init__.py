"""Customs rules as versioned, sourced data, and the allowance checker."""
