"""How news reaches phones. No Flask imports here."""
