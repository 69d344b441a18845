"""Reddit as a socialdesk source (`type = "reddit"`)."""
