"""What My Border serves and its rules. No Flask imports here."""
