"""Drug-awareness campaigns: translations, workflow, schedules and revisions."""
