"""The web console for editors, publishers, admins and border officers (server-rendered)."""
